import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conv2dFilterGradient } from '../src/train/conv-gradients.js';
import { Random } from '../src/util/random.js';
import './helpers.js';

function randomTensor(shape: number[], rng: Random) {
  const size = shape.reduce((a, b) => a * b, 1);
  return tfc.tensor(
    Float32Array.from({ length: size }, () => rng.uniform(-1, 1)),
    shape,
  );
}

describe('conv2dFilterGradient', () => {
  const cases: [number[], number[], number, 'same' | 'valid'][] = [
    [[2, 9, 9, 3], [1, 1, 3, 5], 1, 'valid'],
    [[2, 9, 9, 3], [1, 1, 3, 5], 2, 'valid'],
    [[1, 8, 7, 4], [3, 3, 4, 2], 1, 'same'],
    [[2, 10, 10, 2], [3, 3, 2, 3], 2, 'same'],
    [[1, 15, 15, 3], [7, 7, 3, 4], 2, 'valid'],
    [[3, 6, 11, 2], [2, 3, 2, 2], [1, 2] as unknown as number, 'same'],
  ];
  for (const [xShape, fShape, stride, pad] of cases) {
    it(`matches the cpu kernel on x ${xShape.join('×')}, filter ${fShape.join('×')}, stride ${stride}, ${pad}`, async () => {
      const rng = new Random(xShape.reduce((a, b) => a * 31 + b, 7));
      await tfc.setBackend('cpu');
      const x = randomTensor(xShape, rng) as tfc.Tensor4D;
      const f = randomTensor(fShape, rng);
      const dy = tfc.onesLike(tfc.conv2d(x, f as tfc.Tensor4D, stride as never, pad)) as tfc.Tensor4D;
      const dyData = randomTensor(dy.shape, rng);
      const expected = (
        tfc
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy: dyData },
            { strides: stride, pad, dataFormat: 'NHWC', filterShape: fShape },
          ) as unknown as tfc.Tensor
      ).arraySync();
      const xs = x.arraySync();
      const dys = dyData.arraySync();
      await tfc.setBackend('wasm');
      const got = conv2dFilterGradient(
        tfc.tensor(xs) as tfc.Tensor4D,
        tfc.tensor(dys) as tfc.Tensor4D,
        fShape as [number, number, number, number],
        stride as never,
        pad,
      );
      const diff = tfc.max(tfc.abs(tfc.sub(got, tfc.tensor(expected)))).dataSync()[0]!;
      expect(diff).toBeLessThan(1e-4);
    });
  }
});

describe('Conv2DBackpropInput on wasm (Graft’s faster kernel, or tfjs’s where it does not apply)', () => {
  const cases: [number[], number[], number | [number, number], 'same' | 'valid'][] = [
    [[2, 7, 7, 8], [1, 1, 8, 16], 1, 'valid'],
    [[2, 9, 9, 3], [1, 1, 3, 5], 2, 'valid'],
    [[2, 8, 9, 3], [1, 1, 3, 4], [2, 3], 'valid'],
    [[1, 8, 7, 4], [3, 3, 4, 2], 1, 'same'],
    [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'valid'],
    [[3, 6, 11, 2], [2, 3, 2, 2], 1, 'same'],
    [[2, 10, 10, 2], [3, 3, 2, 3], 2, 'same'],
    [[1, 15, 15, 3], [7, 7, 3, 4], 2, 'valid'],
  ];
  for (const [xShape, fShape, stride, pad] of cases) {
    it(`matches the cpu kernel: input ${xShape.join('×')}, filter ${fShape.join('×')}, stride ${stride}, ${pad}`, async () => {
      const { installConvGradients } = await import('../src/train/conv-gradients.js');
      const rng = new Random(xShape.reduce((a, b) => a * 17 + b, 3));
      await tfc.setBackend('cpu');
      const x = randomTensor(xShape, rng) as tfc.Tensor4D;
      const f = randomTensor(fShape, rng) as tfc.Tensor4D;
      const outShape = tfc.conv2d(x, f, stride, pad).shape;
      const dy = randomTensor(outShape, rng) as tfc.Tensor4D;
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', inputShape: xShape };
      const expected = (
        tfc.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, attrs) as tfc.Tensor
      ).arraySync();
      const [dys, fs] = [dy.arraySync(), f.arraySync()];
      await tfc.setBackend('wasm');
      installConvGradients();
      const got = tfc
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy: tfc.tensor(dys), filter: tfc.tensor(fs) },
          attrs,
        ) as tfc.Tensor;
      expect(got.shape).toEqual(xShape);
      const diff = tfc.max(tfc.abs(tfc.sub(got, tfc.tensor(expected)))).dataSync()[0]!;
      expect(diff).toBeLessThan(1e-4);
    });
  }
});
