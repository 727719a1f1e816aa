/** IEEE 754 half precision from the bits of a single-precision value, round to nearest even. */
function halfFromBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → 0
    mant = (mant | 0x800000) >>> (1 - e);
    if (mant & 0x1000 && mant & 0x2fff) mant += 0x2000;
    return sign | (mant >>> 13);
  }
  if (mant & 0x1000 && mant & 0x2fff) {
    mant += 0x2000;
    if (mant & 0x800000) {
      mant = 0;
      e += 1;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | (mant >>> 13);
}

/** Float32 values as IEEE half-precision bits (round to nearest even; beyond ±65504 becomes ±inf). */
export function toFloat16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfFromBits(bits[i]!);
  return out;
}

let table: Float32Array | null = null;

/** Every half-precision bit pattern's value, built once (256 KB): decoding is then one lookup. */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    table[h] =
      exp === 0
        ? sign * mant * 2 ** -24
        : exp === 0x1f
          ? mant
            ? Number.NaN
            : sign * Number.POSITIVE_INFINITY
          : sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return table;
}

/** Half-precision bits back to float32 (exact: every half value is a float32). */
export function fromFloat16(halves: Uint16Array, out = new Float32Array(halves.length)): Float32Array {
  const values = halfTable();
  for (let i = 0; i < halves.length; i++) out[i] = values[halves[i]!]!;
  return out;
}
