import {
  buildResNet50,
  MULTISCALE_LAYER,
  RESNET50_FINE_TUNE,
  RESNET50_TOP_LAYERS,
} from '../architectures/resnet50.js';
import type { ModelSpec } from '../spec.js';

/** The block outputs pooled beside conv5's into the feature vector (multi-layer pooling). */
const MINI_TAPS = ['conv3_block4_out', 'conv4_block6_out'] as const;

/**
 * A DEMO backbone, not ImageNet: the Keras ResNet50 layers and names with every width divided by
 * 8, at 64×64 RGB (Fashion-MNIST's 28×28 resized, so that conv5 keeps a 2×2 map), pretrained on
 * Fashion-MNIST domain A only — T-shirt/top, Trouser, Pullover, Dress, Coat, from the train split's
 * indices below 50,000 — by examples/fashion/pretrain_torch.py (PyTorch, written as a Keras-layout
 * `.h5` and imported through Graft's own reader; recipe, search and wall time in
 * examples/fashion/recipe-search.md). Features pool conv3, conv4 and conv5 (448 values), which
 * transfer to the unseen domain-B classes better than conv5 alone. It ships inside the package so
 * that Graft's main command works on a machine with no network, and so that transfer to domain B
 * can be measured (docs/benefits.md).
 */
export const resnet50MiniFashion: ModelSpec = {
  id: 'resnet50-mini-fashion',
  title: 'ResNet50 / 8 at 64×64 pretrained on Fashion-MNIST domain A (demo backbone, not ImageNet)',
  architecture: 'resnet50',
  build: (options = {}) =>
    buildResNet50({
      ...options,
      inputShape: options.inputShape ?? [64, 64, 3],
      widthDivisor: 8,
      multiScaleFeatures: options.includeTop || options.pooling ? undefined : MINI_TAPS,
    }),
  inputSize: [64, 64],
  minInputSize: 32,
  preprocessing: 'caffe',
  labels: ['tshirt-top', 'trouser', 'pullover', 'dress', 'coat'],
  featureLayer: MULTISCALE_LAYER,
  featureSize: (512 + 1024 + 2048) / 8,
  topLayerNames: RESNET50_TOP_LAYERS,
  fineTune: RESNET50_FINE_TUNE,
  weights: {
    'fashion-a': {
      description:
        'Fashion-MNIST domain A (T-shirt/top, Trouser, Pullover, Dress, Coat; train indices below 50,000), trained by examples/fashion/pretrain_torch.py',
      bundled: {
        location: new URL(/* @vite-ignore */ '../../assets/resnet50-mini-fashion/', import.meta.url).href,
        shards: [
          {
            path: 'group1-shard1of1.bin',
            bytes: 1536448,
            sha256: '2c0eb4d2990cdf652084a38af8e887bac529f581a49123cb1186e43bdc59f70d',
          },
        ],
      },
    },
  },
  license: 'MIT (Fashion-MNIST © Zalando SE; weights trained by Graft)',
  demo: true,
};
