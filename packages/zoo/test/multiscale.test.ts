import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { maxRelativeError } from '@graft/test-support';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildResNet50, MULTISCALE_LAYER } from '../src/architectures/resnet50.js';
import { loadWeightsFromKerasH5 } from '../src/h5/load-weights.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { preprocess } from '../src/preprocess.js';
import { fixture, patternImages } from './helpers.js';

const taps = ['conv3_block4_out', 'conv4_block6_out'];

describe('multi-layer pooling (multiScaleFeatures)', () => {
  beforeAll(async () => {
    await tfc.setBackend('cpu');
  });

  function models() {
    const h5 = new Uint8Array(readFileSync(fixture('resnet50_w64_notop.h5')));
    const plain = buildResNet50({ widthDivisor: 64, inputShape: [64, 64, 3] });
    const multi = buildResNet50({ widthDivisor: 64, inputShape: [64, 64, 3], multiScaleFeatures: taps });
    loadWeightsFromKerasH5(plain, h5, 'fixture');
    loadWeightsFromKerasH5(multi, h5, 'fixture');
    return { plain, multi };
  }

  it('pools to the concatenation of each block output’s global average, and keeps the Keras layer indices', async () => {
    const { plain, multi } = models();
    // the ResNet layers keep their positions: only the weightless branch is added at the end
    expect(multi.layers.slice(0, plain.layers.length - 1).map((l) => l.name)).toEqual(
      plain.layers.slice(0, -1).map((l) => l.name),
    );
    expect(multi.layers.at(-1)!.name).toBe(MULTISCALE_LAYER);
    const x = tfc.tidy(() => preprocess(patternImages(2, 64, 64), 'caffe'));
    const sub = tfl.model({
      inputs: plain.inputs,
      outputs: [...taps, 'conv5_block3_out'].map((t) => plain.getLayer(t).output as tfl.SymbolicTensor),
    });
    const expected = tfc.tidy(() =>
      tfc.concat(
        (sub.predict(x) as tfc.Tensor4D[]).map((t) => tfc.mean(t, [1, 2])),
        1,
      ),
    );
    const got = tfc.tidy(() => tfc.mean(multi.predict(x) as tfc.Tensor4D, [1, 2]));
    expect(got.shape).toEqual([2, (512 + 1024 + 2048) / 64]);
    expect(
      maxRelativeError(got.dataSync() as Float32Array, expected.dataSync() as Float32Array),
    ).toBeLessThan(1e-5);
    tfc.dispose([x, expected, got]);
    plain.dispose();
    multi.dispose();
  });

  it('exports to ONNX with the same numbers, and refuses unknown taps', async () => {
    const { multi } = models();
    const exported = exportOnnx(multi, { outputs: [MULTISCALE_LAYER], mode: 'pooled' });
    const session = await InferenceSession.create(exported.bytes);
    const x = tfc.tidy(() => preprocess(patternImages(2, 64, 64), 'caffe'));
    const result = await session.run({
      [exported.input]: new Tensor('float32', x.dataSync() as Float32Array, [2, 64, 64, 3]),
    });
    const ref = tfc.tidy(() => tfc.mean(multi.predict(x) as tfc.Tensor4D, [1, 2]));
    const out = result[exported.outputs[0]!]!;
    expect(out.dims).toEqual(ref.shape);
    expect(maxRelativeError(out.data as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-4);
    tfc.dispose([x, ref]);
    await session.release();
    multi.dispose();
    expect(() => buildResNet50({ widthDivisor: 64, multiScaleFeatures: ['conv9_block1_out'] })).toThrow(
      /no block output named 'conv9_block1_out'/,
    );
  });
});
