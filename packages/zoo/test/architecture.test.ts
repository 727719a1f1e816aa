import { describe, expect, it } from 'vitest';
import { buildResNet50 } from '../src/architectures/resnet50.js';
import { readKerasWeightFile } from '../src/h5/keras-h5.js';
import { fixtureBytes } from './helpers.js';

function layerNamesOf(file: string) {
  const bytes = fixtureBytes(file);
  return readKerasWeightFile(bytes.buffer as ArrayBuffer, file).layerNames;
}

describe('buildResNet50', () => {
  it('has the Keras model.layers order of the weight files, without the top', () => {
    const model = buildResNet50({ widthDivisor: 64 });
    expect(model.layers.map((l) => l.name)).toEqual(layerNamesOf('resnet50_w64_notop.h5'));
    expect(model.layers).toHaveLength(175);
    model.dispose();
  });

  it('has the Keras model.layers order with the top', () => {
    const model = buildResNet50({ widthDivisor: 64, includeTop: true });
    expect(model.layers.map((l) => l.name)).toEqual(layerNamesOf('resnet50_w64_top.h5'));
    expect(model.layers).toHaveLength(177);
    expect(model.layers.filter((l) => l.weights.length > 0)).toHaveLength(107);
    model.dispose();
  });

  it('puts conv2_block1_out at index 18, so freeze: 18 means layers[:18] as in Keras', () => {
    const model = buildResNet50({ widthDivisor: 64 });
    expect(model.layers[0]!.name).toBe('input_1');
    expect(model.layers[17]!.name).toBe('conv2_block1_add');
    expect(model.layers[18]!.name).toBe('conv2_block1_out');
    // the projection block's order, which a positional loader would get wrong
    expect(model.layers.slice(7, 19).map((l) => l.name.replace('conv2_block1_', ''))).toEqual([
      '1_conv',
      '1_bn',
      '1_relu',
      '2_conv',
      '2_bn',
      '2_relu',
      '0_conv',
      '3_conv',
      '0_bn',
      '3_bn',
      'add',
      'out',
    ]);
    model.dispose();
  });

  it('has the parameter counts of Keras ResNet50 at full width', () => {
    const notop = buildResNet50({ inputShape: [32, 32, 3] });
    expect(notop.countParams()).toBe(23_587_712);
    notop.dispose();
    const top = buildResNet50({ includeTop: true });
    expect(top.countParams()).toBe(25_636_712);
    expect(top.outputs[0]!.shape).toEqual([null, 1000]);
    top.dispose();
  });

  it('uses the Keras stem: 7×7/2 valid conv after 3-pixel padding, max-pool after 1-pixel padding', () => {
    const model = buildResNet50({ widthDivisor: 64, inputShape: [224, 224, 3] });
    const shape = (name: string) => model.getLayer(name).outputShape;
    expect(shape('conv1_pad')).toEqual([null, 230, 230, 3]);
    expect(shape('conv1_conv')).toEqual([null, 112, 112, 1]);
    expect(shape('pool1_pool')).toEqual([null, 56, 56, 1]);
    expect(shape('conv3_block1_1_conv')).toEqual([null, 28, 28, 2]); // stride on the first 1×1
    expect(shape('conv5_block3_out')).toEqual([null, 7, 7, 32]);
    model.dispose();
  });

  it('accepts any input of at least 32×32 without the top, and refuses smaller ones', () => {
    const m = buildResNet50({ widthDivisor: 64, inputShape: [32, 48, 3] });
    expect(m.getLayer('conv5_block3_out').outputShape).toEqual([null, 1, 2, 32]);
    m.dispose();
    expect(() => buildResNet50({ inputShape: [31, 64, 3] })).toThrow(/at least 32×32, got 31×64/);
    expect(() => buildResNet50({ includeTop: true, inputShape: [128, 128, 3] })).toThrow(
      /takes 224×224 inputs/,
    );
    expect(() => buildResNet50({ inputShape: [64, 64, 1] })).toThrow(/\[height, width, 3\]/);
    expect(() => buildResNet50({ widthDivisor: 3 })).toThrow(/divides 64/);
  });

  it('adds avg or max pooling without the top', () => {
    const avg = buildResNet50({ widthDivisor: 64, pooling: 'avg' });
    expect(avg.outputs[0]!.shape).toEqual([null, 32]);
    expect(avg.layers.at(-1)!.name).toBe('avg_pool');
    avg.dispose();
  });
});

describe('buildResNet50 initialize', () => {
  it('draws he-normal kernels by default and leaves them at zero when weights are loaded right after', () => {
    const random = buildResNet50({ widthDivisor: 64, inputShape: [32, 32, 3] });
    const blank = buildResNet50({ widthDivisor: 64, inputShape: [32, 32, 3], initialize: false });
    const kernel = (m: typeof random) => m.getLayer('conv2_block1_2_conv').getWeights()[0]!.dataSync();
    expect(Math.max(...Array.from(kernel(random), Math.abs))).toBeGreaterThan(0);
    expect(Math.max(...Array.from(kernel(blank), Math.abs))).toBe(0);
    expect(
      Math.max(...Array.from(kernel(buildResNet50({ widthDivisor: 64, inputShape: [32, 32, 3] })), Math.abs)),
    ).toBeGreaterThan(0);
    random.dispose();
    blank.dispose();
  });
});
