/** Bad usage (a bad flag value, a missing argument): exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** Documented exit codes. */
export const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

/** Parses a positive integer flag or throws a UsageError naming the flag. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`${flag} must be a whole number ≥ 1, got '${value}'`);
    return n;
  };
}

/** Parses `--image-size 224` or `224x160` (height x width). */
export function imageSize(value: string): [number, number] {
  const m = /^(\d+)(?:[x×,](\d+))?$/.exec(value.trim());
  if (!m) throw new UsageError(`--image-size must be N or HxW (e.g. 224 or 224x160), got '${value}'`);
  const h = Number(m[1]);
  const w = Number(m[2] ?? m[1]);
  if (h < 32 || w < 32) throw new UsageError(`--image-size must be at least 32, got '${value}'`);
  return [h, w];
}
