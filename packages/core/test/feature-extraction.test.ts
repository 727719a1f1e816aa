import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemoryFeatureCache } from '../src/advanced.js';
import { createClassifier, loadClassifier } from '../src/index.js';
import { colourImages, memoryIO, thinBackbone, weightValues } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

const classes = ['red', 'green', 'blue'];

describe('feature extraction', () => {
  it('learns a colour task, never changes the backbone, and reuses cached features on a second fit', async () => {
    const backbone = thinBackbone();
    const clf = createClassifier({ backbone, classes, seed: 1 });
    const train = colourImages(12, 1);
    const test = colourImages(8, 2);
    const before = (await clf.evaluate(test)).accuracy;
    const backboneBefore = weightValues(backbone.model);

    const history = await clf.fit(train, { head: 'sgd', epochs: 30, batchSize: 12, lr: 0.01, seed: 3 });
    expect(history.stopReason).toBe('completed');
    expect(history.phases[0]!.epochs).toHaveLength(30);
    const after = await clf.evaluate(test);
    expect(before).toBeLessThan(0.7);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(after.accuracy).toBeGreaterThan(before);
    for (const [name, values] of weightValues(backbone.model))
      expect(values, name).toEqual(backboneBefore.get(name));

    // evaluate goes through the feature cache too: the test images ran once, before training
    expect(clf.stats.backboneImages).toBe(36 + test.length);
    expect(clf.stats.featureCacheHits).toBe(test.length);
    await clf.fit(train, { head: 'sgd', epochs: 2, batchSize: 12, seed: 4 });
    expect(clf.stats.backboneImages).toBe(36 + test.length); // the backbone did not run again
    expect(clf.stats.featureCacheHits).toBe(36 + test.length);
    clf.dispose();
  });

  it('trains on examples that bring only their feature-cache key (no pixels), as on the images themselves', async () => {
    const train = colourImages(6, 9);
    const cache = new InMemoryFeatureCache();
    const keys: string[] = [];
    const set = cache.set.bind(cache);
    cache.set = (key, features) => {
      keys.push(key);
      return set(key, features);
    };
    const withPixels = createClassifier({ backbone: thinBackbone(), classes, seed: 5 });
    withPixels.featureCache = cache;
    await withPixels.fit(train, { seed: 6 });
    expect(keys).toHaveLength(train.length);
    const keyOnly = train.map((image, i) => ({
      label: image.label,
      id: `image ${i}`,
      featureKey: keys[i]!,
      pixels: new Uint8Array(0),
      width: 0,
      height: 0,
    }));
    const fromKeys = createClassifier({ backbone: thinBackbone(), classes, seed: 5 });
    fromKeys.featureCache = cache;
    await fromKeys.fit(keyOnly, { seed: 6 });
    expect(fromKeys.stats.backboneImages).toBe(0);
    const test = colourImages(4, 10);
    expect((await fromKeys.predict(test)).map((p) => p.probabilities)).toEqual(
      (await withPixels.predict(test)).map((p) => p.probabilities),
    );
    await expect(fromKeys.fit(keyOnly, { augment: true, head: 'sgd', epochs: 1 })).rejects.toThrow(
      'image 0 comes with its features only, not its pixels: augmentation needs the image',
    );
    await expect(fromKeys.fit([{ ...keyOnly[0]!, featureKey: 'nope' }, ...keyOnly.slice(1)])).rejects.toThrow(
      'image 0: its features (key nope) are not in the feature cache, and it has no pixels to compute them',
    );
    withPixels.dispose();
    fromKeys.dispose();
  });

  it('computes features once per augmented view and trains on them', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 1 });
    await clf.fit(colourImages(6, 5), { epochs: 10, batchSize: 9, lr: 0.01, augment: { views: 3 } });
    expect(clf.stats.backboneImages).toBe(18 * 3);
    await clf.fit(colourImages(6, 5), { epochs: 1, augment: { views: 3 } });
    expect(clf.stats.backboneImages).toBe(18 * 3);
    expect((await clf.evaluate(colourImages(5, 6))).accuracy).toBeGreaterThanOrEqual(0.9);
    clf.dispose();
  });

  it('saves one model that loads back with identical predictions and its manifest', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 2 });
    await clf.fit(colourImages(6, 7), { epochs: 5, lr: 0.01 });
    const io = memoryIO();
    await clf.save(io.save);
    const manifest = (io.artifacts!.userDefinedMetadata as { graft: { labels: string[]; strategy: string } })
      .graft;
    expect(manifest).toMatchObject({
      format: 'graft-classifier',
      labels: classes,
      strategy: 'feature-extraction',
      inputSize: [32, 32],
    });
    const again = await loadClassifier(io.load());
    const images = colourImages(3, 8);
    const a = await clf.predict(images);
    const b = await again.predict(images);
    expect(b.map((p) => p.probabilities)).toEqual(a.map((p) => p.probabilities));
    expect(again.classes).toEqual(classes);
    clf.dispose();
    again.dispose();
  });

  it('encodes the backbone once while it does not train: saves share its buffer, fine-tuning makes a new one', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 2 });
    const data = colourImages(3, 11);
    await clf.fit(data, { head: 'sgd', epochs: 1 });
    const saved: tfc.io.ModelArtifacts[] = [];
    for (let i = 0; i < 2; i++) {
      const io = memoryIO();
      await clf.save(io.save);
      saved.push(io.artifacts!);
      await clf.fit(data, { head: 'sgd', epochs: 1 }); // the head changes, the backbone does not
    }
    const parts = saved.map((a) => a.weightData as ArrayBuffer[]);
    expect(parts[0]).toHaveLength(2);
    expect(parts[1]![0]).toBe(parts[0]![0]); // the same encoded backbone, not re-read
    expect(new Uint8Array(parts[1]![1]!)).not.toEqual(new Uint8Array(parts[0]![1]!));
    const backboneNames = new Set(clf.backbone.weights.map((w) => w.originalName));
    const specs = saved[0]!.weightSpecs!;
    const split = specs.findIndex((s) => !backboneNames.has(s.name));
    expect(specs.slice(0, split).every((s) => backboneNames.has(s.name))).toBe(true);
    expect(specs.slice(split).some((s) => backboneNames.has(s.name))).toBe(false);

    await clf.fineTune(data, { headEpochs: 0, epochs: 1, freeze: 'conv4_block6_out' });
    const io = memoryIO();
    await clf.save(io.save);
    const tuned = io.artifacts!.weightData as ArrayBuffer[];
    expect(tuned[0]).not.toBe(parts[0]![0]);
    expect(new Uint8Array(tuned[0]!)).not.toEqual(new Uint8Array(parts[0]![0]!));
    const again = await loadClassifier(io.load());
    expect((await again.predict(data)).map((p) => p.probabilities)).toEqual(
      (await clf.predict(data)).map((p) => p.probabilities),
    );
    clf.dispose();
    again.dispose();
  });

  it('keeps tf.memory().numTensors flat across fit, predict and evaluate', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 2 });
    const train = colourImages(4, 9);
    await clf.fit(train, { epochs: 1 });
    const start = tfc.memory().numTensors;
    await clf.fit(train, { epochs: 3, validation: { split: 0.25 }, earlyStopping: { patience: 1 } });
    await clf.predict(train.slice(0, 3));
    await clf.evaluate(train);
    expect(tfc.memory().numTensors).toBe(start);
    clf.dispose();
  });
});
