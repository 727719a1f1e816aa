import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { buildResNet50 } from '../src/architectures/resnet50.js';
import {
  contiguousFloat32,
  type KerasWeightFile,
  readKerasWeightFile,
  WeightFileError,
} from '../src/h5/keras-h5.js';
import { loadWeightsFromKerasH5 } from '../src/h5/load-weights.js';
import { fixtureBytes } from './helpers.js';

const read = (name: string) => readKerasWeightFile(fixtureBytes(name).buffer as ArrayBuffer, name);

describe('readKerasWeightFile', () => {
  it('reads fixed-length (h5py 2) and variable-length (h5py 3) strings to the same content', () => {
    const fixed = read('resnet50_w16_notop.h5');
    const vlen = read('resnet50_w16_notop_vlen.h5');
    expect(fixed.layerNames).toHaveLength(175);
    expect(vlen.layerNames).toEqual(fixed.layerNames);
    expect(fixed.layerNames.every((n) => !n.includes('\0'))).toBe(true);
    expect(fixed.weights.get('conv1_conv')!.map((w) => w.name)).toEqual([
      'conv1_conv/kernel:0',
      'conv1_conv/bias:0',
    ]);
    expect(fixed.weights.get('conv1_bn')!.map((w) => w.name.split('/')[1])).toEqual([
      'gamma:0',
      'beta:0',
      'moving_mean:0',
      'moving_variance:0',
    ]);
    expect(fixed.weights.get('input_1')).toEqual([]); // the empty float64 weight_names array
    expect(fixed.weights.get('conv1_conv')![0]!.shape).toEqual([7, 7, 3, 4]);
    expect(vlen.weights.get('conv4_block6_3_bn')![3]!.values).toEqual(
      fixed.weights.get('conv4_block6_3_bn')![3]!.values,
    );
    expect([...fixed.weights.values()].filter((w) => w.length > 0)).toHaveLength(106);
    expect(fixed.kerasVersion).toBe('2.2.4');
  });

  it('copies contiguous float32 datasets directly, with the values jsfive reads element by element', async () => {
    const hdf5 = await import('jsfive');
    const bytes = fixtureBytes('resnet50_w16_notop.h5');
    const f = new hdf5.File(bytes.buffer as ArrayBuffer, 'x.h5');
    for (const path of [
      'conv1_conv/conv1_conv/kernel:0',
      'conv4_block3_2_bn/conv4_block3_2_bn/moving_variance:0',
    ]) {
      const ds = f.get(path) as import('jsfive').Dataset;
      const fast = contiguousFloat32(ds);
      expect(fast).not.toBeNull();
      expect(Array.from(fast!)).toEqual(Array.from(ds.value as ArrayLike<number>));
    }
  });

  it('refuses a file that is not HDF5, naming it', () => {
    const text = new TextEncoder().encode('<html>404 not found</html>');
    expect(() => readKerasWeightFile(text.buffer, 'page.h5')).toThrow(
      /page\.h5 is not an HDF5 file \(26 bytes/,
    );
  });

  it('refuses a truncated file with a clear message', () => {
    const bytes = fixtureBytes('resnet50_w64_notop.h5');
    const cut = bytes.slice(0, Math.floor(bytes.byteLength / 2));
    expect(() => readKerasWeightFile(cut.buffer, 'cut.h5')).toThrow(WeightFileError);
    expect(() => readKerasWeightFile(cut.buffer, 'cut.h5')).toThrow(/cut\.h5/);
  });

  it('joins layer_names split over layer_names0..N', () => {
    const split = read('resnet50_w64_notop_split_names.h5');
    expect(split.layerNames).toEqual(read('resnet50_w64_notop.h5').layerNames);
    expect(split.layerNames).toHaveLength(175);
  });
});

describe('loadWeightsFromKerasH5', () => {
  it('rejects the old fchollet/deep-learning-models ResNet50 file with what to use instead', () => {
    const model = buildResNet50({ widthDivisor: 64 });
    expect(() =>
      loadWeightsFromKerasH5(
        model,
        fixtureBytes('legacy_fchollet_resnet50.h5'),
        'resnet50_weights_tf_dim_ordering_tf_kernels.h5',
      ),
    ).toThrow(
      /old ResNet50 weight file from fchollet\/deep-learning-models \(it has layers bn_conv1, res2a_branch2a, fc1000 and no conv1_conv\).*keras-applications/,
    );
    model.dispose();
  });

  it('refuses a shape mismatch, naming the layer and both shapes, and sets nothing', () => {
    const model = buildResNet50({ widthDivisor: 16 });
    const before = model.getLayer('conv1_conv').getWeights()[0]!.dataSync().slice();
    expect(() => loadWeightsFromKerasH5(model, fixtureBytes('resnet50_w64_notop.h5'), 'thin.h5')).toThrow(
      'thin.h5: shape mismatch for conv1_conv kernel: the model expects [7, 7, 3, 4], the file has [7, 7, 3, 1] (conv1_conv/kernel:0)',
    );
    expect(model.getLayer('conv1_conv').getWeights()[0]!.dataSync()).toEqual(before);
    model.dispose();
  });

  it('refuses a no-top file for a model with the top, saying so', () => {
    const model = buildResNet50({ widthDivisor: 64, includeTop: true });
    expect(() => loadWeightsFromKerasH5(model, fixtureBytes('resnet50_w64_notop.h5'), 'notop.h5')).toThrow(
      /notop\.h5 does not fit resnet50.*no top classifier layer \(predictions or probs\): it is a no-top file/,
    );
    model.dispose();
  });

  it('loads a with-top file into a model without the top, ignoring the classifier', () => {
    const model = buildResNet50({ widthDivisor: 64 });
    const report = loadWeightsFromKerasH5(model, fixtureBytes('resnet50_w64_top.h5'));
    expect(report.loadedLayers).toBe(106);
    expect(report.ignoredLayers).toEqual(['predictions']);
    model.dispose();
  });

  it('loads a classifier named probs into a model whose classifier is named predictions', () => {
    const model = buildResNet50({ widthDivisor: 64, includeTop: true });
    const file = read('resnet50_w64_top_probs_vlen.h5');
    expect(file.weights.has('predictions')).toBe(false);
    loadWeightsFromKerasH5(model, file);
    const kernel = model.getLayer('predictions').getWeights()[0]!;
    expect(kernel.dataSync()).toEqual(file.weights.get('probs')![0]!.values);
    model.dispose();
  });

  it('refuses a file for another architecture (layers the model lacks) and a missing layer', () => {
    const model = buildResNet50({ widthDivisor: 64 });
    const file = read('resnet50_w64_notop.h5');
    const deeper: KerasWeightFile = {
      ...file,
      fileName: 'resnet101.h5',
      weights: new Map([...file.weights, ['conv4_block7_1_conv', file.weights.get('conv4_block6_1_conv')!]]),
    };
    expect(() => loadWeightsFromKerasH5(model, deeper)).toThrow(
      /resnet101\.h5 does not fit resnet50.*it has 1 layer\(s\) the model does not: conv4_block7_1_conv\. Is it a weight file for another architecture\?/,
    );
    const partial = new Map(file.weights);
    partial.delete('conv3_block2_2_bn');
    expect(() =>
      loadWeightsFromKerasH5(model, { ...file, fileName: 'partial.h5', weights: partial }),
    ).toThrow(/partial\.h5 does not fit resnet50.*lacks 1 layer\(s\) the model needs: conv3_block2_2_bn/);
    model.dispose();
  });

  it('leaves no tensors behind', () => {
    const model = buildResNet50({ widthDivisor: 64 });
    const bytes = fixtureBytes('resnet50_w64_notop.h5');
    loadWeightsFromKerasH5(model, bytes);
    const before = tfc.memory().numTensors;
    loadWeightsFromKerasH5(model, bytes);
    loadWeightsFromKerasH5(model, bytes);
    expect(tfc.memory().numTensors).toBe(before);
    model.dispose();
  });
});
