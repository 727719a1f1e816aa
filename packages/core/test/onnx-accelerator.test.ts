import { maxRelativeError } from '@graft/test-support';
import * as tfc from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOnnxAccelerator } from '../src/features/onnx-accelerator.js';
import { createClassifier, loadClassifier } from '../src/index.js';
import { createFeatureExtractor, openCachedFeatureExtractor } from '../src/inference/extractor.js';
import { colourImages, memoryIO, thinBackbone } from './helpers.js';

describe('frozen backbones on ONNX Runtime (createOnnxAccelerator)', () => {
  beforeAll(async () => {
    await tfc.setBackend('cpu');
  });

  it('feature extraction trains on ONNX features to the same head as with tfjs, and keeps its graphs in the cache', async () => {
    const data = colourImages(4, 1);
    const stored = new Map<string, Uint8Array>();
    const accelerator = createOnnxAccelerator({
      ort,
      threads: 1,
      cache: { get: async (k) => stored.get(k), set: async (k, v) => void stored.set(k, v) },
    });
    const histories = [];
    const predictions = [];
    for (const accelerated of [false, true]) {
      const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
      if (accelerated) clf.accelerator = accelerator;
      histories.push(await clf.fit(data, { epochs: 4, batchSize: 6, seed: 2 }));
      predictions.push(await clf.predict(colourImages(1, 9)));
      clf.dispose();
    }
    const [tfjs, onnx] = histories;
    for (const [i, epoch] of onnx!.phases[0]!.epochs.entries())
      expect(epoch.loss).toBeCloseTo(tfjs!.phases[0]!.epochs[i]!.loss, 4);
    for (const [i, p] of predictions[1]!.entries())
      expect(maxRelativeError(p.probabilities, predictions[0]![i]!.probabilities)).toBeLessThan(1e-4);
    expect(stored.size).toBe(1); // one graph: pooled conv5_block3_out
  });

  it('fine-tuning takes the frozen prefix from ONNX Runtime and trains the suffix in tfjs, as tfjs alone does', async () => {
    const data = colourImages(3, 1);
    const accelerator = createOnnxAccelerator({ ort, threads: 1 });
    const losses: number[][] = [];
    for (const accelerated of [false, true]) {
      const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
      if (accelerated) clf.accelerator = accelerator;
      const history = await clf.fineTune(data, { headEpochs: 1, epochs: 2, batchSize: 9, seed: 3 });
      losses.push(history.phases.flatMap((p) => p.epochs.map((e) => e.loss)));
      expect(clf.stats.frozenActivationBytes).toBeGreaterThan(0);
      clf.dispose();
    }
    for (const [i, loss] of losses[1]!.entries()) expect(loss).toBeCloseTo(losses[0]![i]!, 3);
  });

  it('never uses a graph of weights that fine-tuning changed, and leaks no tensors', async () => {
    const accelerator = createOnnxAccelerator({ ort, threads: 1 });
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
    clf.accelerator = accelerator;
    await clf.fineTune(colourImages(2, 1), { headEpochs: 1, epochs: 1, batchSize: 6, lr: 1e-2, seed: 3 });
    const probe = colourImages(1, 5);
    const before = tfc.memory().numTensors;
    const accelerated = await clf.predict(probe); // a fresh graph from the fine-tuned weights
    expect(tfc.memory().numTensors).toBe(before);
    clf.accelerator = null;
    const plain = await clf.predict(probe);
    for (const [i, p] of accelerated.entries())
      expect(maxRelativeError(p.probabilities, plain[i]!.probabilities)).toBeLessThan(1e-4);
    const io = memoryIO();
    await clf.save(io.save);
    const loaded = await loadClassifier(io.load());
    loaded.accelerator = accelerator;
    const again = await loaded.predict(probe);
    for (const [i, p] of again.entries())
      expect(maxRelativeError(p.probabilities, plain[i]!.probabilities)).toBeLessThan(1e-4);
    loaded.dispose();
    clf.dispose();
  });

  it('says why a model it cannot export stays in tfjs, and returns no runner', async () => {
    const tfl = await import('@tensorflow/tfjs-layers');
    const input = tfl.input({ shape: [8, 8, 3] });
    const model = tfl.model({
      inputs: input,
      outputs: tfl.layers.flatten({ name: 'flat' }).apply(input) as never,
    });
    const reasons: string[] = [];
    const accelerator = createOnnxAccelerator({ ort, onFallback: (r) => reasons.push(r) });
    const runner = await accelerator.prepare(model, {
      outputs: ['flat'],
      mode: 'nhwc',
      inputSize: [8, 8],
      weightsKey: 'x',
    });
    expect(runner).toBeNull();
    expect(reasons).toEqual(['layer flat (Flatten) has no ONNX export; running it in tfjs']);
    model.dispose();
  });

  it('createFeatureExtractor runs on the accelerator too (graft embed)', async () => {
    const backbone = thinBackbone();
    const images = colourImages(2, 4);
    const plain = await createFeatureExtractor(backbone).extract(images);
    const fast = createFeatureExtractor(backbone, {
      accelerator: createOnnxAccelerator({ ort, threads: 1 }),
    });
    const got = await fast.extract(images, { batchSize: 4 });
    for (const [i, v] of got.entries()) expect(maxRelativeError(v, plain[i]!)).toBeLessThan(1e-4);
    await fast.dispose();
    backbone.model.dispose();
  });

  it('openCachedFeatureExtractor runs a kept graph with no tfjs model, found by the weights file identity', async () => {
    const stored = new Map<string, Uint8Array>();
    const accelerator = createOnnxAccelerator({
      ort,
      threads: 1,
      cache: { get: async (k) => stored.get(k), set: async (k, v) => void stored.set(k, v) },
    });
    const backbone = thinBackbone(); // weights.id 'w16-fixture'
    const { spec } = backbone;
    expect(await openCachedFeatureExtractor(spec, { accelerator, weightsId: 'w16-fixture' })).toBeNull();
    const images = colourImages(2, 3);
    const fromModel = createFeatureExtractor(backbone, { accelerator });
    const expected = await fromModel.extract(images);
    await fromModel.dispose();
    backbone.model.dispose();
    expect(stored.size).toBe(1);

    const before = tfc.memory().numTensors;
    const cached = await openCachedFeatureExtractor(spec, { accelerator, weightsId: 'w16-fixture' });
    expect(cached).not.toBeNull();
    expect(cached!.layer).toBe(spec.featureLayer);
    const got = await cached!.extract(images, { batchSize: 2 });
    expect(got).toEqual(expected); // the same graph on the same inputs
    await cached!.dispose();
    expect(tfc.memory().numTensors).toBe(before);
    // other weights, another layer or size, or weights no identifier names: nothing to open
    expect(await openCachedFeatureExtractor(spec, { accelerator, weightsId: 'other-file' })).toBeNull();
    expect(
      await openCachedFeatureExtractor(spec, {
        accelerator,
        weightsId: 'w16-fixture',
        layer: 'conv4_block6_out',
      }),
    ).toBeNull();
    expect(
      await openCachedFeatureExtractor(spec, { accelerator, weightsId: 'w16-fixture', inputSize: [64, 64] }),
    ).toBeNull();
    expect(await openCachedFeatureExtractor(spec, { accelerator, weightsId: 'random' })).toBeNull();
  });
});
