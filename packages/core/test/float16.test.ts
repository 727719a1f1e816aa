import { describe, expect, it } from 'vitest';
import { fromFloat16, toFloat16 } from '../src/util/float16.js';

describe('float16', () => {
  it('round-trips exactly representable values and rounds others to nearest even', () => {
    const exact = Float32Array.from([0, -0, 1, -2, 0.5, 65504, -65504, 2 ** -24, 1025, 3.140625]);
    expect(Array.from(fromFloat16(toFloat16(exact)))).toEqual(Array.from(exact));
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1)
    expect(fromFloat16(toFloat16(Float32Array.from([1 + 2 ** -11])))[0]).toBe(1);
    expect(fromFloat16(toFloat16(Float32Array.from([1 + 3 * 2 ** -11])))[0]).toBe(1 + 2 ** -9);
  });

  it('keeps activations to three significant digits, and says inf beyond the range', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => (i * 7.31) % 300);
    const back = fromFloat16(toFloat16(values));
    for (const [i, v] of values.entries())
      expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
    const edges = fromFloat16(toFloat16(Float32Array.from([1e6, -1e6, Number.NaN])));
    expect(Array.from(edges.slice(0, 2))).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(Number.isNaN(edges[2])).toBe(true);
  });
});
