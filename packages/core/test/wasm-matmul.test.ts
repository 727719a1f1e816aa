import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { installWasmMatMul } from '../src/train/wasm-matmul.js';
import { Random } from '../src/util/random.js';
import './helpers.js';

function randomValues(shape: number[], rng: Random): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

describe('BatchMatMul on wasm with explicit transposes (installWasmMatMul)', () => {
  // [a shape, b shape, transposeA, transposeB]
  const cases: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[32, 64], [32, 5], true, false], // a dense layer's weight gradient, xᵀ · dy
    [[32, 5], [64, 5], false, true], // its input gradient, dy · Wᵀ
    [[3, 4, 6], [3, 4, 2], true, false],
    [[2, 6, 4], [2, 5, 4], false, true],
    [[2, 4, 6], [1, 5, 4], true, true], // broadcast batch
  ];
  for (const [aShape, bShape, transposeA, transposeB] of cases) {
    it(`matches the cpu backend: ${aShape.join('×')}${transposeA ? 'ᵀ' : ''} · ${bShape.join('×')}${transposeB ? 'ᵀ' : ''}`, async () => {
      const rng = new Random(aShape.length * 97 + bShape.reduce((x, y) => x * 31 + y, 3));
      const aValues = randomValues(aShape, rng);
      const bValues = randomValues(bShape, rng);
      const product = async () => {
        const a = tfc.tensor(aValues, aShape);
        const b = tfc.tensor(bValues, bShape);
        const y = tfc.matMul(a, b, transposeA, transposeB);
        const out = { shape: y.shape, values: await y.data() };
        tfc.dispose([a, b, y]);
        return out;
      };
      await tfc.setBackend('cpu');
      const expected = await product();
      await tfc.setBackend('wasm');
      installWasmMatMul();
      const before = tfc.memory().numTensors;
      const bytesBefore = tfc.memory().numBytes;
      const actual = await product();
      expect(tfc.memory().numTensors).toBe(before);
      expect(tfc.memory().numBytes).toBe(bytesBefore);
      expect(actual.shape).toEqual(expected.shape);
      for (let i = 0; i < expected.values.length; i++)
        expect(actual.values[i]).toBeCloseTo(expected.values[i] as number, 5);
    });
  }

  it('is in place: the wasm kernel registered for BatchMatMul is Graft’s', async () => {
    await tfc.setBackend('wasm');
    installWasmMatMul();
    expect((tfc.getKernel('BatchMatMul', 'wasm') as { graft?: boolean }).graft).toBe(true);
  });
});
