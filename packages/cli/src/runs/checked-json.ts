/** Reads one field of parsed JSON as a `T`, or throws what it should have been. */
export type Check<T> = (value: unknown) => T;

/** A check for each field of `T`, optional ones included. */
export type Fields<T> = { [K in keyof T]-?: Check<T[K]> };

const expected = (what: string): never => {
  throw new Error(`should be ${what}`);
};

export const isString: Check<string> = (v) => (typeof v === 'string' ? v : expected('a string'));

export const isNumber: Check<number> = (v) =>
  typeof v === 'number' && Number.isFinite(v) ? v : expected('a number');

export const isBoolean: Check<boolean> = (v) => (typeof v === 'boolean' ? v : expected('true or false'));

export const isStrings: Check<string[]> = (v) =>
  Array.isArray(v) ? v.map(isString) : expected('a list of strings');

export const isPair: Check<[number, number]> = (v) =>
  Array.isArray(v) && v.length === 2 ? [isNumber(v[0]), isNumber(v[1])] : expected('two numbers');

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Absent (or null) reads as undefined. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (v) => (v === undefined || v === null ? undefined : check(v));
}

export function oneOf<T extends string>(choices: readonly T[]): Check<T> {
  return (v) => choices.find((c) => c === v) ?? expected(`one of ${choices.join(', ')}`);
}

/** The first check that accepts the value, or what each wanted. */
export function either<A, B>(a: Check<A>, b: Check<B>): Check<A | B> {
  return (v) => {
    try {
      return a(v);
    } catch {
      return b(v);
    }
  };
}

/** Each field of a JSON object read by its check; a failed check names its field. */
export function parseFields<T>(fields: Fields<T>, json: unknown): T {
  if (!isRecord(json)) return expected('a JSON object');
  const out: Partial<T> = {};
  for (const key in fields) {
    try {
      out[key] = fields[key](json[key]);
    } catch (err) {
      throw new Error(`${key} ${(err as Error).message}`);
    }
  }
  return out as T;
}
