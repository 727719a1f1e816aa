import { createHash } from 'node:crypto';
import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodePredictions } from '../src/decode-predictions.js';
import { IMAGENET_LABELS } from '../src/imagenet-labels.js';
import { type PreprocessingMode, preprocess, preprocessPixels } from '../src/preprocess.js';
import { getModel, listModels, type ShippedModelId } from '../src/registry.js';
import { sha256Hex } from '../src/weights/digest.js';
import { Md5, md5Hex } from '../src/weights/md5.js';
import { fixtureBytes } from './helpers.js';

describe('preprocess', () => {
  it("is Keras 'caffe' mode: RGB to BGR, minus the ImageNet means, no scaling", () => {
    const rgb = tfc.tensor3d(
      [
        [
          [10, 20, 30],
          [255, 0, 128],
        ],
      ],
      [1, 2, 3],
      'int32',
    );
    const out = preprocess(rgb, 'caffe');
    const expected = [
      [
        [30 - 103.939, 20 - 116.779, 10 - 123.68],
        [128 - 103.939, 0 - 116.779, 255 - 123.68],
      ],
    ];
    const got = out.arraySync() as number[][][];
    for (const [i, px] of got[0]!.entries()) {
      for (const [c, v] of px.entries()) expect(v).toBeCloseTo(expected[0]![i]![c]!, 4);
    }
    expect(out.dtype).toBe('float32');
    tfc.dispose([rgb, out]);
  });

  it("has Keras's 'tf' and 'torch' modes too", () => {
    const rgb = tfc.tensor4d([0, 127.5, 255], [1, 1, 1, 3]);
    expect(Array.from(preprocess(rgb, 'tf').dataSync())).toEqual([-1, 0, 1]);
    const torch = Array.from(preprocess(rgb, 'torch').dataSync());
    expect(torch[0]).toBeCloseTo((0 - 0.485) / 0.229, 5);
    expect(torch[2]).toBeCloseTo((1 - 0.406) / 0.225, 5);
    rgb.dispose();
  });

  it('refuses images without 3 channels last', () => {
    const gray = tfc.zeros([4, 4, 1]) as tfc.Tensor3D;
    expect(() => preprocess(gray)).toThrow(/3 channels last, got shape \[4, 4, 1\]/);
    gray.dispose();
  });

  it('leaks no tensors', () => {
    const rgb = tfc.ones([2, 8, 8, 3]) as tfc.Tensor4D;
    const before = tfc.memory().numTensors;
    preprocess(rgb).dispose();
    expect(tfc.memory().numTensors).toBe(before);
    rgb.dispose();
  });
});

describe('preprocessPixels (plain JS, for engines fed from arrays)', () => {
  // whole values as decoded, and fractional ones as bilinear resizing makes them
  const values = Float32Array.from({ length: 3 * 4096 }, (_, i) =>
    i % 2 === 0 ? i % 256 : Math.fround(((i * 7919) % 25500) / 100),
  );
  for (const mode of ['caffe', 'tf', 'torch'] as PreprocessingMode[]) {
    it(`equals preprocess '${mode}' bit for bit`, async () => {
      const expected = preprocess(tfc.tensor4d(values, [1, 64, 64, 3]), mode);
      const actual = preprocessPixels(values.slice(), mode);
      expect(Array.from(actual)).toEqual(Array.from(await expected.data()));
      expected.dispose();
    });
  }

  it('refuses values that are not RGB triples', () => {
    expect(() => preprocessPixels(new Float32Array(4))).toThrow(/a multiple of 3\), got 4/);
  });
});

describe('decodePredictions', () => {
  it('gives the top k ImageNet classes per row, highest first', async () => {
    const row = new Array(1000).fill(0);
    row[1] = 0.6;
    row[999] = 0.3;
    row[0] = 0.1;
    const probs = tfc.tensor2d([row]);
    const [top] = await decodePredictions(probs, 2);
    expect(top).toEqual([
      { index: 1, label: 'goldfish, Carassius auratus', probability: expect.closeTo(0.6, 6) },
      {
        index: 999,
        label: 'toilet tissue, toilet paper, bathroom tissue',
        probability: expect.closeTo(0.3, 6),
      },
    ]);
    probs.dispose();
  });

  it('has the 1000 ILSVRC-2012 names in Keras index order', () => {
    expect(IMAGENET_LABELS).toHaveLength(1000);
    expect(IMAGENET_LABELS[0]).toBe('tench, Tinca tinca');
    expect(IMAGENET_LABELS[607]).toBe("jack-o'-lantern");
  });
});

describe('registry', () => {
  it('describes resnet50 in one declarative spec', () => {
    const spec = getModel('resnet50');
    expect(spec.inputSize).toEqual([224, 224]);
    expect(spec.preprocessing).toBe('caffe');
    expect(spec.featureLayer).toBe('conv5_block3_out');
    expect(spec.weights.imagenet!.notop).toMatchObject({
      bytes: 94_765_736,
      md5: '4d473c1dd8becc155b73f8504c6f6626',
    });
    expect(spec.weights.imagenet!.top!.urls[0]).toBe(
      'https://storage.googleapis.com/tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5',
    );
    expect(listModels().map((m) => m.id)).toContain('resnet50');
  });

  it('names every shipped model in the ModelId union, so a typo shows in the editor', () => {
    // each literal must be a shipped id (and every shipped id listed): the union is written by hand
    const shipped: ShippedModelId[] = ['resnet50', 'resnet50-mini-fashion'];
    expect(
      listModels()
        .map((m) => m.id)
        .sort(),
    ).toEqual([...shipped].sort());
  });

  it('names the known models when asked for an unknown one', () => {
    expect(() => getModel('resnet5O')).toThrow(/unknown model 'resnet5O': the zoo has resnet50/);
  });
});

describe('hashes', () => {
  it('md5 in TypeScript agrees with node:crypto, in one piece or in chunks', () => {
    const bytes = fixtureBytes('resnet50_w64_notop.h5');
    const expected = createHash('md5').update(bytes).digest('hex');
    expect(md5Hex(bytes)).toBe(expected);
    const chunked = new Md5();
    for (let i = 0; i < bytes.byteLength; i += 1000) chunked.update(bytes.subarray(i, i + 1000));
    expect(chunked.hex()).toBe(expected);
    for (const s of ['', 'a', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64)]) {
      expect(md5Hex(new TextEncoder().encode(s))).toBe(createHash('md5').update(s).digest('hex'));
    }
  });

  it('sha256 agrees with node:crypto', async () => {
    const bytes = fixtureBytes('resnet50_w64_notop.h5');
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
