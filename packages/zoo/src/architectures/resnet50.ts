import * as tf from '@tensorflow/tfjs-layers';

/** Batch-normalisation epsilon of keras.applications ResNet (not the Keras default 1e-3). */
export const RESNET_BN_EPSILON = 1.001e-5;

/** Options of {@link buildResNet50}. */
export interface ResNet50Options {
  /** Add `avg_pool` (global average) and the `predictions` Dense softmax layer. Default false. */
  includeTop?: boolean;
  /**
   * Input shape `[height, width, 3]`. With the top it must be `[224, 224, 3]`; without it any
   * size of at least 32×32, or `null` dimensions for any size. Default `[224, 224, 3]` with the
   * top, `[null, null, 3]` without.
   */
  inputShape?: [number | null, number | null, number];
  /**
   * Without the top, optionally end with global `'avg'` or `'max'` pooling (Keras `pooling=`).
   * Default: none, the output is the `conv5_block3_out` feature map.
   */
  pooling?: 'avg' | 'max' | null;
  /** Units of the top Dense layer. Default 1000. */
  classes?: number;
  /** Activation of the top Dense layer. Default `'softmax'`. */
  classifierActivation?: 'softmax' | 'linear';
  /** Name of the top Dense layer. Default `'predictions'` (Keras 2.3+ and Keras 3). */
  topName?: string;
  /**
   * Divide every filter count by this (1, 2, 4, … 64): the same layers, names and order with
   * thinner tensors, for fast tests and small demo backbones. Default 1 (the real ResNet50).
   */
  widthDivisor?: number;
  /**
   * Without the top, end in one more layer, `multiscale_features`: these block outputs (e.g.
   * `conv3_block4_out`, `conv4_block6_out`) average-pooled down to the size of `conv5_block3_out`
   * and concatenated with it on the channel axis, so that its global average is the concatenation of
   * each one's global average (multi-layer pooling) when the sizes divide evenly. Weightless: the
   * Keras weight files still load by name. Default none.
   */
  multiScaleFeatures?: readonly string[];
  /** Name of the input layer. Default `'input_1'`, as in the Keras 2 weight files. */
  inputName?: string;
  /**
   * Draw random initial weights (Keras's he-normal). Default true; `false` when weights are about
   * to be loaded: kernels start at zero and the build skips ~1.6 s of random draws at 224×224.
   */
  initialize?: boolean;
}

/** Names Keras has given ResNet50's ImageNet classifier layer (`probs` in older releases). */
export const RESNET50_TOP_LAYERS: readonly string[] = ['predictions', 'probs'];

/**
 * What fine-tuning needs to know about ResNet50 (fastai's `model_meta`): the stage a layer belongs
 * to (`conv4_block2_1_conv` → `conv4`) for learning-rate groups, and where to freeze by default —
 * up to the end of conv4, so that conv5 trains.
 */
export const RESNET50_FINE_TUNE = Object.freeze({
  defaultFreeze: 'conv4_block6_out',
  stageOf: (layerName: string): string => /^(conv\d|pool\d)/.exec(layerName)?.[1] ?? layerName,
});

/** The layer that {@link ResNet50Options.multiScaleFeatures} adds. */
export const MULTISCALE_LAYER = 'multiscale_features';

const STAGES = [
  { name: 'conv2', filters: 64, blocks: 3, stride: 1 },
  { name: 'conv3', filters: 128, blocks: 4, stride: 2 },
  { name: 'conv4', filters: 256, blocks: 6, stride: 2 },
  { name: 'conv5', filters: 512, blocks: 3, stride: 2 },
] as const;

type Tensor = tf.SymbolicTensor;

/** He-normal kernels, or zeros where weights are loaded right after the build. */
let kernelInitializer: 'heNormal' | 'zeros' = 'heNormal';

function conv(
  x: Tensor,
  name: string,
  filters: number,
  kernelSize: number,
  strides: number,
  padding: 'valid' | 'same',
) {
  return tf.layers
    .conv2d({ name, filters, kernelSize, strides, padding, useBias: true, kernelInitializer })
    .apply(x) as Tensor;
}

function bn(x: Tensor, name: string) {
  return tf.layers.batchNormalization({ name, axis: 3, epsilon: RESNET_BN_EPSILON }).apply(x) as Tensor;
}

function relu(x: Tensor, name: string) {
  return tf.layers.activation({ name, activation: 'relu' }).apply(x) as Tensor;
}

/**
 * One bottleneck block, as keras.applications `block1`: the stride sits on the first 1×1 conv and
 * on the 1×1 projection shortcut (ResNet v1.0 as Keras builds it, not torchvision's v1.5).
 * The call order (shortcut conv first, then the residual branch, then `Add([shortcut, x])`) is
 * what gives `model.layers` the Keras order.
 */
function block(x: Tensor, filters: number, stride: number, convShortcut: boolean, name: string): Tensor {
  let shortcut = x;
  if (convShortcut) {
    shortcut = conv(x, `${name}_0_conv`, 4 * filters, 1, stride, 'valid');
    shortcut = bn(shortcut, `${name}_0_bn`);
  }
  let y = conv(x, `${name}_1_conv`, filters, 1, stride, 'valid');
  y = bn(y, `${name}_1_bn`);
  y = relu(y, `${name}_1_relu`);
  y = conv(y, `${name}_2_conv`, filters, 3, 1, 'same');
  y = bn(y, `${name}_2_bn`);
  y = relu(y, `${name}_2_relu`);
  y = conv(y, `${name}_3_conv`, 4 * filters, 1, 1, 'valid');
  y = bn(y, `${name}_3_bn`);
  const sum = tf.layers.add({ name: `${name}_add` }).apply([shortcut, y]) as Tensor;
  return relu(sum, `${name}_out`);
}

/**
 * Builds `keras.applications.ResNet50` in tf.layers: the same layers, names and `model.layers`
 * order, so that Keras weight files load by name and index-based freezing means what it means in
 * Keras (`model.layers[18]` is `conv2_block1_out`). Weights are freshly initialised.
 */
export function buildResNet50(options: ResNet50Options = {}): tf.LayersModel {
  kernelInitializer = options.initialize === false ? 'zeros' : 'heNormal';
  try {
    return build(options);
  } finally {
    kernelInitializer = 'heNormal';
  }
}

function build(options: ResNet50Options): tf.LayersModel {
  const includeTop = options.includeTop ?? false;
  const d = options.widthDivisor ?? 1;
  if (!Number.isInteger(d) || d < 1 || 64 % d !== 0) {
    throw new Error(`widthDivisor must be a whole number that divides 64, got ${options.widthDivisor}`);
  }
  const inputShape = options.inputShape ?? (includeTop ? [224, 224, 3] : [null, null, 3]);
  validateInputShape(inputShape, includeTop);

  const input = tf.input({ shape: inputShape, name: options.inputName ?? 'input_1' });
  let x = tf.layers.zeroPadding2d({ name: 'conv1_pad', padding: 3 }).apply(input) as Tensor;
  x = conv(x, 'conv1_conv', 64 / d, 7, 2, 'valid');
  x = bn(x, 'conv1_bn');
  x = relu(x, 'conv1_relu');
  x = tf.layers.zeroPadding2d({ name: 'pool1_pad', padding: 1 }).apply(x) as Tensor;
  x = tf.layers
    .maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2, padding: 'valid' })
    .apply(x) as Tensor;

  const taps = new Map<string, Tensor>();
  for (const stage of STAGES) {
    for (let b = 1; b <= stage.blocks; b++) {
      x = block(x, stage.filters / d, b === 1 ? stage.stride : 1, b === 1, `${stage.name}_block${b}`);
      taps.set(`${stage.name}_block${b}_out`, x);
    }
  }
  const multiScale = options.multiScaleFeatures ?? [];
  if (multiScale.length > 0) {
    if (includeTop || options.pooling) {
      throw new Error('multiScaleFeatures builds the network without its top and without pooling');
    }
    const factors = { conv2: 8, conv3: 4, conv4: 2, conv5: 1 } as Record<string, number>;
    const parts = multiScale.map((name) => {
      const tap = taps.get(name);
      const factor = factors[name.slice(0, 5)];
      if (!tap || factor === undefined)
        throw new Error(`multiScaleFeatures: no block output named '${name}'`);
      if (factor === 1) throw new Error(`multiScaleFeatures: '${name}' is conv5's size already`);
      return tf.layers
        .averagePooling2d({
          name: `${name}_pool${factor}`,
          poolSize: factor,
          strides: factor,
          // 'same' (edges averaged over what is there, as TF does): ceil(ceil(s/8)/4) = ceil(s/32),
          // so the taps meet conv5's grid at every input size, not only multiples of 32
          padding: 'same',
        })
        .apply(tap) as Tensor;
    });
    x = tf.layers.concatenate({ name: MULTISCALE_LAYER, axis: -1 }).apply([...parts, x]) as Tensor;
  }

  if (includeTop) {
    x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as Tensor;
    x = tf.layers
      .dense({
        name: options.topName ?? 'predictions',
        units: options.classes ?? 1000,
        activation: options.classifierActivation ?? 'softmax',
      })
      .apply(x) as Tensor;
  } else if (options.pooling === 'avg') {
    x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as Tensor;
  } else if (options.pooling === 'max') {
    x = tf.layers.globalMaxPooling2d({ name: 'max_pool' }).apply(x) as Tensor;
  }
  return tf.model({ inputs: input, outputs: x, name: 'resnet50' });
}

function validateInputShape(shape: readonly (number | null)[], includeTop: boolean): void {
  const [h, w, c] = shape;
  if (shape.length !== 3 || c !== 3) {
    throw new Error(`ResNet50 input shape must be [height, width, 3], got [${shape.join(', ')}]`);
  }
  if (includeTop && (h !== 224 || w !== 224)) {
    throw new Error(
      `ResNet50 with its ImageNet top takes 224×224 inputs, got ${h}×${w}; use includeTop: false for other sizes`,
    );
  }
  for (const side of [h, w]) {
    if (side !== null && (side === undefined || side < 32)) {
      throw new Error(`ResNet50 inputs must be at least 32×32, got ${h}×${w}`);
    }
  }
}
