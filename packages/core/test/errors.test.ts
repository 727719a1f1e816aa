import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, loadClassifier } from '../src/index.js';
import { colourImages, memoryIO, thinBackbone } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

describe('errors a person can act on', () => {
  it('refuses fewer than two classes', () => {
    expect(() => createClassifier({ backbone: thinBackbone(), classes: ['cat'] })).toThrow(
      'a classifier needs at least two classes, got 1',
    );
  });

  it('refuses a class with no images, a label not in the classes, and an empty image, before any compute', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'] });
    await expect(clf.fit(colourImages(3, 1, 32, ['red', 'green']), { epochs: 1 })).rejects.toThrow(
      "class 'blue' has no images",
    );
    const withStranger = [
      ...colourImages(2, 1),
      { ...colourImages(1, 2)[0]!, label: 'purple', id: 'img/purple.png' },
    ];
    await expect(clf.fit(withStranger, { epochs: 1 })).rejects.toThrow(
      "img/purple.png has label 'purple', which is not one of the classes (red, green, blue)",
    );
    const empty = { pixels: new Uint8Array(0), width: 0, height: 0, label: 'red', id: 'blank.png' };
    await expect(clf.fit([empty], { epochs: 1 })).rejects.toThrow('blank.png is empty (0×0)');
    const short = { pixels: new Uint8Array(10), width: 4, height: 4, label: 'red', id: 'short.png' };
    await expect(clf.fit([short], { epochs: 1 })).rejects.toThrow(
      'short.png has 10 pixel values; 4×4 RGB needs 48',
    );
    expect(clf.stats.backboneImages).toBe(0);
    clf.dispose();
  });

  it('names a freeze layer that does not exist, and an index out of range', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green'] });
    const data = colourImages(2, 1, 32, ['red', 'green']);
    await expect(clf.fineTune(data, { freeze: 'conv6_block1_out' })).rejects.toThrow(
      /the backbone has no layer named 'conv6_block1_out'; block outputs are e\.g\. .*conv5_block3_out/,
    );
    await expect(clf.fit(data, { strategy: 'fine-tune', freeze: 500 })).rejects.toThrow(
      'freeze must be a layer index from 0 to 175 (the backbone has 175 layers), got 500',
    );
    clf.dispose();
  });

  it('refuses a backbone that still has its top', async () => {
    const { buildResNet50, getModel } = await import('@graft/zoo');
    const model = buildResNet50({ widthDivisor: 64, includeTop: true });
    expect(() =>
      createClassifier({ backbone: { model, spec: getModel('resnet50') }, classes: ['a', 'b'] }),
    ).toThrow('the backbone still has its ImageNet top; load it with includeTop: false');
    model.dispose();
  });

  it('refuses to load a manifest from an incompatible version, and a model that is not a classifier', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green'] });
    const io = memoryIO();
    await clf.save(io.save);
    const graft = (io.artifacts!.userDefinedMetadata as { graft: Record<string, unknown> }).graft;
    graft.formatVersion = 2;
    graft.library = { name: '@graft/core', version: '9.0.0' };
    await expect(loadClassifier(io.load())).rejects.toThrow(
      /saved by @graft\/core 9\.0\.0 in classifier format 2; this @graft\/core .* reads format 1\. Upgrade @graft\/core/,
    );
    io.artifacts!.userDefinedMetadata = {};
    await expect(loadClassifier(io.load())).rejects.toThrow('is not a Graft classifier');
    clf.dispose();
  });

  it('refuses a saved model whose outputs do not match its labels, or whose weights are not finite, naming the layer', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'] });
    const io = memoryIO();
    await clf.save(io.save);
    const before = tfc.memory().numTensors;
    const graft = (io.artifacts!.userDefinedMetadata as { graft: { labels: string[] } }).graft;
    graft.labels = ['red', 'green'];
    await expect(loadClassifier(io.load())).rejects.toThrow(
      /has 3 outputs but its manifest names 2 labels \(red, green\)/,
    );
    graft.labels = ['red', 'green', 'blue'];
    const specs = io.artifacts!.weightSpecs!;
    const bias = specs.findIndex((s) => s.name.endsWith('graft_predictions/bias'));
    const offset = specs.slice(0, bias).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    const parts = io.artifacts!.weightData as ArrayBuffer[];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(new Uint8Array(p), at);
      at += p.byteLength;
    }
    new Float32Array(bytes.buffer)[offset + 1] = Number.NaN;
    io.artifacts!.weightData = bytes.buffer;
    await expect(loadClassifier(io.load())).rejects.toThrow(
      /weight graft_predictions\/bias of layer graft_predictions holds NaN at index 1: the weights are damaged/,
    );
    expect(tfc.memory().numTensors).toBe(before);
    clf.dispose();
  });
});
