import { buildResNet50, RESNET50_FINE_TUNE, RESNET50_TOP_LAYERS } from '../architectures/resnet50.js';
import { IMAGENET_LABELS } from '../imagenet-labels.js';
import type { ModelSpec } from '../spec.js';

const KERAS_BASES = [
  'https://storage.googleapis.com/tensorflow/keras-applications/resnet/',
  'https://github.com/keras-team/keras-applications/releases/download/resnet/',
];
const TOP_FILE = 'resnet50_weights_tf_dim_ordering_tf_kernels.h5';
const NOTOP_FILE = 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5';

const LEGACY_REASON =
  'the old ResNet50 file of fchollet/deep-learning-models (release v0.2): same name, but other layer names, ' +
  'padding and BatchNormalization epsilon than keras.applications.ResNet50';

/** keras.applications.ResNet50 with the official Keras ImageNet weights. */
export const resnet50: ModelSpec = {
  id: 'resnet50',
  title: 'ResNet50 (Keras Applications), ImageNet',
  architecture: 'resnet50',
  build: (options) => buildResNet50(options),
  inputSize: [224, 224],
  minInputSize: 32,
  preprocessing: 'caffe',
  labels: IMAGENET_LABELS,
  featureLayer: 'conv5_block3_out',
  featureSize: 2048,
  topLayerNames: RESNET50_TOP_LAYERS,
  fineTune: RESNET50_FINE_TUNE,
  weights: {
    imagenet: {
      description: 'ImageNet (ILSVRC-2012), the official Keras Applications weight files',
      top: {
        fileName: TOP_FILE,
        urls: KERAS_BASES.map((b) => b + TOP_FILE),
        bytes: 102_967_424,
        md5: '2cb95161c43110f7111970584f804107',
        format: 'keras-h5',
      },
      notop: {
        fileName: NOTOP_FILE,
        urls: KERAS_BASES.map((b) => b + NOTOP_FILE),
        bytes: 94_765_736,
        md5: '4d473c1dd8becc155b73f8504c6f6626',
        format: 'keras-h5',
      },
    },
  },
  rejectedFiles: [
    { md5: 'a7b3fe01876f51b976af0dea6bc144eb', reason: LEGACY_REASON },
    { md5: 'a268eb855778b3df3c7506639542a6af', reason: LEGACY_REASON },
  ],
  license: 'Keras Applications weights (MIT); ImageNet data terms apply',
};
