import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { installBatchNormGradient } from '../src/train/batch-norm-gradient.js';
import { Random } from '../src/util/random.js';
import './helpers.js';

function random(shape: number[], rng: Random, min = -1, max = 1) {
  return tfc.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(min, max)),
    shape,
  );
}

describe('FusedBatchNorm gradient (installBatchNormGradient)', () => {
  // tfjs's own, taken before Graft's replaces it
  const tfjs = tfc.getGradient('FusedBatchNorm')!;

  for (const backend of ['cpu', 'wasm']) {
    it(`gives tfjs's gradients bit for bit, per input, on ${backend}`, async () => {
      await tfc.setBackend(backend);
      installBatchNormGradient();
      const graft = tfc.getGradient('FusedBatchNorm')!;
      expect(graft).not.toBe(tfjs);
      const rng = new Random(5);
      const x = random([2, 3, 4, 6], rng);
      const saved = [x, random([6], rng), random([6], rng, 0.1, 2), random([6], rng)];
      const dy = random([2, 3, 4, 6], rng);
      const attrs = { varianceEpsilon: 1e-3 } as unknown as tfc.NamedAttrMap;
      const expected = tfjs.gradFunc(dy, saved, attrs);
      const actual = graft.gradFunc(dy, saved, attrs);
      for (const input of ['x', 'mean', 'variance', 'scale', 'offset']) {
        const e = tfc.tidy(() => expected[input]!());
        const a = tfc.tidy(() => actual[input]!());
        expect(a.shape, input).toEqual(e.shape);
        expect(Array.from(await a.data()), input).toEqual(Array.from(await e.data()));
        tfc.dispose([a, e]);
      }
      tfc.dispose([x, ...saved, dy]);
    });
  }

  it('trains a BatchNormalization layer as before: grads through tf.layers match tfjs’s to the bit', async () => {
    await tfc.setBackend('cpu');
    const rng = new Random(9);
    const xs = random([4, 5, 5, 3], rng);
    const gradsWith = async (config: tfc.GradConfig) => {
      tfc.registerGradient(config);
      const gamma = tfc.variable(tfc.tensor1d([0.5, 1.5, -1]));
      const beta = tfc.variable(tfc.tensor1d([0.1, 0, -0.2]));
      const { grads } = tfc.variableGrads(() =>
        tfc.sum(
          tfc.square(
            tfc.batchNorm(xs, tfc.tensor1d([0.2, -0.1, 0]), tfc.tensor1d([1, 0.5, 2]), beta, gamma, 1e-3),
          ),
        ),
      );
      const out = [await grads[gamma.name]!.data(), await grads[beta.name]!.data()].map((d) => Array.from(d));
      tfc.dispose([gamma, beta, ...Object.values(grads)]);
      return out;
    };
    installBatchNormGradient();
    const graft = tfc.getGradient('FusedBatchNorm')!;
    const ours = await gradsWith(graft);
    const theirs = await gradsWith(tfjs);
    tfc.registerGradient(graft);
    expect(ours).toEqual(theirs);
  });
});
