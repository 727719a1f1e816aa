/** Number of elements of a tensor of this shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The parts one after another in one new array, made by `create` (bytes, floats). */
export function concatArrays<T extends Uint8Array | Float32Array>(
  parts: readonly ArrayLike<number>[],
  create: (length: number) => T,
): T {
  const out = create(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte arrays one after another in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  return concatArrays(parts, (n) => new Uint8Array(n));
}
