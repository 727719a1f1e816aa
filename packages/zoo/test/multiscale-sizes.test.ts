import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { maxRelativeError } from '@graft/test-support';
import * as tfc from '@tensorflow/tfjs-core';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildResNet50, MULTISCALE_LAYER } from '../src/architectures/resnet50.js';
import { loadWeightsFromKerasH5 } from '../src/h5/load-weights.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { preprocess } from '../src/preprocess.js';
import { fixture, patternImages } from './helpers.js';

describe('multi-layer pooling at input sizes that are not multiples of 32', () => {
  beforeAll(async () => {
    await tfc.setBackend('cpu');
  });

  it.each([48, 80])(
    'builds at %i pixels square, the taps meeting conv5’s grid, with the same numbers on ONNX',
    async (size) => {
      const model = buildResNet50({
        widthDivisor: 64,
        inputShape: [size, size, 3],
        multiScaleFeatures: ['conv3_block4_out', 'conv4_block6_out'],
      });
      loadWeightsFromKerasH5(
        model,
        new Uint8Array(readFileSync(fixture('resnet50_w64_notop.h5'))),
        'fixture',
      );
      const grid = Math.ceil(size / 32);
      expect(model.getLayer(MULTISCALE_LAYER).outputShape).toEqual([
        null,
        grid,
        grid,
        (512 + 1024 + 2048) / 64,
      ]);
      const x = tfc.tidy(() => preprocess(patternImages(1, size, size), 'caffe'));
      const ref = tfc.tidy(() => tfc.mean(model.predict(x) as tfc.Tensor4D, [1, 2]));
      const exported = exportOnnx(model, { outputs: [MULTISCALE_LAYER], mode: 'pooled' });
      const session = await InferenceSession.create(exported.bytes);
      const result = await session.run({
        [exported.input]: new Tensor('float32', x.dataSync() as Float32Array, [1, size, size, 3]),
      });
      const out = result[exported.outputs[0]!]!;
      expect(maxRelativeError(out.data as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-4);
      tfc.dispose([x, ref]);
      await session.release();
      model.dispose();
    },
  );
});
