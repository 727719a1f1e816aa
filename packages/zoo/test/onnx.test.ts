import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type LayersModel = tfl.LayersModel;

import { readFileSync } from 'node:fs';
import { maxRelativeError } from '@graft/test-support';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildResNet50 } from '../src/architectures/resnet50.js';
import { loadWeightsFromKerasH5 } from '../src/h5/load-weights.js';
import { loadBackbone } from '../src/node/load.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { preprocess } from '../src/preprocess.js';
import { fixture, patternImages } from './helpers.js';

describe('exportOnnx: zoo backbones on ONNX Runtime', () => {
  beforeAll(async () => {
    await tfc.setBackend('cpu');
  });

  async function check(model: LayersModel, size: number, outputs: string[], mode: 'nhwc' | 'pooled') {
    const sub = tfl.model({
      inputs: model.inputs,
      outputs: outputs.map((o) => model.getLayer(o).output as tfl.SymbolicTensor),
    });
    const exported = exportOnnx(model, { outputs, mode });
    const session = await InferenceSession.create(exported.bytes);
    const n = 3;
    const x = tfc.tidy(() => preprocess(patternImages(n, size, size), 'caffe'));
    const result = await session.run({
      [exported.input]: new Tensor('float32', x.dataSync() as Float32Array, [n, size, size, 3]),
    });
    const refs = tfc.tidy(() => {
      const y = sub.predict(x);
      const list = Array.isArray(y) ? y : [y];
      return list.map((t) => (mode === 'pooled' && t.rank === 4 ? tfc.mean(t, [1, 2]) : t));
    });
    const errors = outputs.map((_, i) => {
      const got = result[exported.outputs[i]!]!;
      expect(got.dims).toEqual(refs[i]!.shape);
      return maxRelativeError(got.data as Float32Array, refs[i]!.dataSync() as Float32Array);
    });
    tfc.dispose([x, ...refs]);
    await session.release();
    return errors;
  }

  it('gives the tfjs model’s numbers (Keras weights, thin ResNet50): pooled features and a block’s activations', async () => {
    const model = buildResNet50({ widthDivisor: 64, inputShape: [48, 48, 3] });
    loadWeightsFromKerasH5(model, new Uint8Array(readFileSync(fixture('resnet50_w64_notop.h5'))), 'fixture');
    const errors = await check(
      model,
      48,
      ['conv5_block3_out', 'conv4_block6_out', 'conv2_block1_out'],
      'nhwc',
    );
    for (const e of errors) expect(e).toBeLessThan(1e-4);
    const pooled = await check(model, 48, ['conv5_block3_out'], 'pooled');
    expect(pooled[0]).toBeLessThan(1e-4);
    model.dispose();
  });

  it('exports the bundled demo backbone with its trained batch-norm statistics, to 1e-4', async () => {
    const { model } = await loadBackbone('resnet50-mini-fashion');
    const errors = await check(model, 64, ['conv5_block3_out', 'conv4_block6_out'], 'nhwc');
    for (const e of errors) expect(e).toBeLessThan(1e-4);
    const [pooled] = await check(model, 64, ['multiscale_features'], 'pooled');
    expect(pooled).toBeLessThan(1e-4);
    model.dispose();
  });

  it('exports the ImageNet top (global average pool, Dense, softmax) at 224×224', async () => {
    const model = buildResNet50({ widthDivisor: 64, includeTop: true, classes: 7 });
    const exported = exportOnnx(model, { outputs: ['predictions'] });
    const session = await InferenceSession.create(exported.bytes);
    const x = tfc.tidy(() => preprocess(patternImages(2, 224, 224), 'caffe'));
    const got = await session.run({
      [exported.input]: new Tensor('float32', x.dataSync() as Float32Array, [2, 224, 224, 3]),
    });
    const want = tfc.tidy(() => model.predict(x) as tfc.Tensor);
    expect(
      maxRelativeError(got[exported.outputs[0]!]!.data as Float32Array, want.dataSync() as Float32Array),
    ).toBeLessThan(1e-4);
    tfc.dispose([x, want]);
    await session.release();
    model.dispose();
  });

  it('matches TensorFlow’s asymmetric `same` padding for strided convolutions and pooling on odd sizes', async () => {
    const input = tfl.input({ shape: [13, 15, 3] });
    let y = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' })
      .apply(input) as tfl.SymbolicTensor;
    y = tfl.layers
      .maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'p1' })
      .apply(y) as tfl.SymbolicTensor;
    y = tfl.layers
      .conv2d({ filters: 3, kernelSize: [2, 3], dilationRate: 1, padding: 'same', name: 'c2' })
      .apply(y) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: y });
    const exported = exportOnnx(model, { outputs: ['c1', 'c2'] });
    const session = await InferenceSession.create(exported.bytes);
    const x = tfc.randomNormal([2, 13, 15, 3], 0, 1, 'float32', 7);
    const got = await session.run({
      [exported.input]: new Tensor('float32', x.dataSync() as Float32Array, [2, 13, 15, 3]),
    });
    const probe = tfl.model({
      inputs: input,
      outputs: [model.getLayer('c1').output as tfl.SymbolicTensor, y],
    });
    const want = probe.predict(x) as tfc.Tensor[];
    for (const [i, name] of exported.outputs.entries()) {
      expect(got[name]!.dims).toEqual(want[i]!.shape);
      expect(
        maxRelativeError(got[name]!.data as Float32Array, want[i]!.dataSync() as Float32Array),
      ).toBeLessThan(1e-5);
    }
    tfc.dispose([x, ...want]);
    await session.release();
    model.dispose();
  });

  it('names the layer it cannot export', () => {
    const model = buildResNet50({ widthDivisor: 64, inputShape: [32, 32, 3] });
    expect(() => exportOnnx(model, { outputs: ['no_such_layer'] })).toThrow(
      "the model has no layer named 'no_such_layer'",
    );
    model.dispose();
    const input = tfl.input({ shape: [8, 8, 3] });
    const flat = tfl.layers.flatten({ name: 'flat' }).apply(input) as tfl.SymbolicTensor;
    const other = tfl.model({ inputs: input, outputs: flat });
    expect(() => exportOnnx(other)).toThrow('layer flat (Flatten) has no ONNX export');
    other.dispose();
  });
});
