import { buildResNet50 } from '../architectures/resnet50.js';
import type { ModelSpec } from '../spec.js';

/**
 * A DEMO backbone, not ImageNet: the Keras ResNet50 layers and names with every width divided by
 * 8, at 32×32 RGB, pretrained by Graft itself (examples/fashion/pretrain-mini.mjs, fixed seed) on
 * Fashion-MNIST domain A — T-shirt/top, Trouser, Pullover, Dress, Coat; 30,000 images, 3 epochs,
 * 78.9% on domain A's 5,000 test images. It ships inside the package so that Graft's main command
 * works on a machine with no network, and so that transfer to domain B can be measured.
 */
export const resnet50MiniFashion: ModelSpec = {
  id: 'resnet50-mini-fashion',
  title: 'ResNet50 / 8 at 32×32 pretrained on Fashion-MNIST domain A (demo backbone, not ImageNet)',
  architecture: 'resnet50',
  build: (options = {}) =>
    buildResNet50({ ...options, inputShape: options.inputShape ?? [32, 32, 3], widthDivisor: 8 }),
  inputSize: [32, 32],
  minInputSize: 32,
  preprocessing: 'caffe',
  labels: ['tshirt-top', 'trouser', 'pullover', 'dress', 'coat'],
  featureLayer: 'conv5_block3_out',
  featureSize: 256,
  weights: {
    'fashion-a': {
      description:
        'Fashion-MNIST domain A (T-shirt/top, Trouser, Pullover, Dress, Coat), trained by examples/fashion/pretrain-mini.mjs',
      bundled: {
        location: new URL(/* @vite-ignore */ '../../assets/resnet50-mini-fashion/', import.meta.url).href,
        shards: [
          {
            path: 'group1-shard1of1.bin',
            bytes: 1536448,
            sha256: 'e0b389377f81140eeccfebf3940e2de40a42540bab788da9c5a6c92a7e831288',
          },
        ],
      },
    },
  },
  license: 'MIT (Fashion-MNIST © Zalando SE; weights trained by Graft)',
  demo: true,
};
