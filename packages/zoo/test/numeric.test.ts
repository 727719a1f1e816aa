import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { buildResNet50 } from '../src/architectures/resnet50.js';
import { loadWeightsFromKerasH5 } from '../src/h5/load-weights.js';
import { preprocess } from '../src/preprocess.js';
import { fixtureBytes, maxScaledDifference, patternImages, reference } from './helpers.js';

// The references are float64 numpy forward passes of the same files (scripts/make-fixtures.py):
// an independent implementation. float32 TF.js must agree to about 1e-5.
const TOLERANCE = 2e-5;

function features(model: tfl.LayersModel, images: tfc.Tensor4D, layer: string): number[][] {
  return tfc.tidy(() => {
    const probe = tfl.model({
      inputs: model.inputs,
      outputs: model.getLayer(layer).output as tfl.SymbolicTensor,
    });
    const out = probe.predict(preprocess(images, 'caffe')) as tfc.Tensor;
    return (out.rank === 4 ? tfc.mean(out, [1, 2]) : out).arraySync() as number[][];
  });
}

describe('ResNet50 forward pass against an independent float64 reference', () => {
  for (const file of ['resnet50_w16_notop.h5', 'resnet50_w16_notop_vlen.h5']) {
    it(`matches pooled conv5 features of ${file} at 64×64`, () => {
      const model = buildResNet50({ widthDivisor: 16, inputShape: [64, 64, 3] });
      loadWeightsFromKerasH5(model, fixtureBytes(file), file);
      const images = patternImages(2, 64, 64);
      const pooled = features(model, images, 'conv5_block3_out');
      expect(pooled[0]).toHaveLength(128);
      expect(maxScaledDifference(pooled, reference.w16_notop_64.pooled)).toBeLessThan(TOLERANCE);
      const stem = tfc.tidy(() => {
        const probe = tfl.model({
          inputs: model.inputs,
          outputs: model.getLayer('conv1_relu').output as tfl.SymbolicTensor,
        });
        return tfc.sum(probe.predict(preprocess(images)) as tfc.Tensor, [1, 2, 3]).arraySync() as number[];
      });
      expect(maxScaledDifference([stem], [reference.w16_notop_64.conv1_relu_sum])).toBeLessThan(TOLERANCE);
      images.dispose();
      model.dispose();
    });
  }

  it('matches at a non-square input size (40×56) with an open input shape', () => {
    const model = buildResNet50({ widthDivisor: 16 });
    loadWeightsFromKerasH5(model, fixtureBytes('resnet50_w16_notop.h5'));
    const images = patternImages(1, 40, 56);
    expect(
      maxScaledDifference(features(model, images, 'conv5_block3_out'), reference.w16_notop_40x56.pooled),
    ).toBeLessThan(TOLERANCE);
    images.dispose();
    model.dispose();
  });

  it('matches the softmax of a with-top file whose classifier is named probs, at 224×224', () => {
    const model = buildResNet50({ widthDivisor: 64, includeTop: true });
    const report = loadWeightsFromKerasH5(model, fixtureBytes('resnet50_w64_top_probs_vlen.h5'));
    expect(report.loadedLayers).toBe(107);
    const images = patternImages(2, 224, 224);
    const probs = tfc.tidy(() => (model.predict(preprocess(images)) as tfc.Tensor).arraySync() as number[][]);
    expect(maxScaledDifference(probs, reference.w64_top_224.probs)).toBeLessThan(TOLERANCE);
    images.dispose();
    model.dispose();
  });

  it('fails the tolerance when conv2_block1_0_conv and _3_conv are swapped (what a positional loader does)', () => {
    // guards the comparison itself: the two kernels have the same shape, only names tell them apart
    const model = buildResNet50({ widthDivisor: 16, inputShape: [64, 64, 3] });
    loadWeightsFromKerasH5(model, fixtureBytes('resnet50_w16_notop.h5'));
    const shortcut = model.getLayer('conv2_block1_0_conv');
    const residual = model.getLayer('conv2_block1_3_conv');
    const a = shortcut.getWeights().map((t) => t.clone());
    const b = residual.getWeights().map((t) => t.clone());
    shortcut.setWeights(b);
    residual.setWeights(a);
    tfc.dispose([...a, ...b]);
    const images = patternImages(2, 64, 64);
    expect(
      maxScaledDifference(features(model, images, 'conv5_block3_out'), reference.w16_notop_64.pooled),
    ).toBeGreaterThan(1e-3);
    images.dispose();
    model.dispose();
  });
});
