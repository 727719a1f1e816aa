import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { PreprocessingMode } from './preprocess.js';

/** One downloadable weight file, with what it takes to check it (as Keras `get_file`). */
export interface WeightFileSpec {
  /** File name, also its name in the cache and under a mirror. */
  fileName: string;
  /** Where to get it, tried in order. A mirror replaces everything before the file name. */
  urls: readonly string[];
  /** Exact size in bytes. */
  bytes: number;
  /** md5 of the whole file, lower-case hex (what Keras checks for these files). */
  md5: string;
  /** Only Keras 2 legacy HDF5 weight files so far. */
  format: 'keras-h5';
}

/**
 * Weights shipped inside the package as a converted TF.js folder (`graft-backbone.json`,
 * `model.json`, shards), pinned by the sha256 of every shard. For small demo backbones.
 */
export interface BundledWeightsSpec {
  /** URL of the folder, resolved against the module that declares it (`new URL('…', import.meta.url)`). */
  location: string;
  /**
   * Each file's URL by its name in the folder, each a literal `new URL('…/file', import.meta.url)`:
   * the pattern bundlers (Vite, webpack 5) follow, so the files are emitted with a host's app
   * (under hashed names, which this map carries). Read instead of `location` when given.
   */
  files?: Readonly<Record<string, string>>;
  /** Every shard with its size and sha256; a folder whose manifest says otherwise is refused. */
  shards: readonly { path: string; bytes: number; sha256: string }[];
}

/** The weight files of one pretrained variant (e.g. ImageNet): with and without the top. */
export interface PretrainedWeights {
  /** Human-readable origin, e.g. "ImageNet (ILSVRC-2012), Keras Applications". */
  description: string;
  /** With the classifier. */
  top?: WeightFileSpec;
  /** Without the classifier (feature extraction, fine-tuning): a file to download… */
  notop?: WeightFileSpec;
  /** …or a backbone without the classifier that ships with the package (no download). */
  bundled?: BundledWeightsSpec;
}

/** Options every architecture builder takes. */
export interface BuildOptions {
  includeTop?: boolean;
  inputShape?: [number | null, number | null, number];
  pooling?: 'avg' | 'max' | null;
  /** Draw random initial weights (default true); false when weights are loaded right after. */
  initialize?: boolean;
}

/**
 * Everything about one model in one declarative place, like torchvision's weight enums or
 * timm's pretrained configs: how to build it, which weights exist and how to check them, the
 * input size, the preprocessing, the label names, the layer to take features from.
 */
export interface ModelSpec {
  /** Registry id, e.g. `resnet50`. */
  id: string;
  /** One line for listings. */
  title: string;
  /** The architecture family, e.g. `resnet50` (thin variants share it). */
  architecture: string;
  /** Builds the network with fresh weights. */
  build(options?: BuildOptions): LayersModel;
  /** The input size the weights were trained at, `[height, width]`. */
  inputSize: readonly [number, number];
  /** The smallest input the network accepts without its top. */
  minInputSize: number;
  /** How pixels are turned into inputs. */
  preprocessing: PreprocessingMode;
  /** Names of the top classifier's classes, index order. */
  labels: readonly string[];
  /** The layer whose output (globally average-pooled) is the feature vector. */
  featureLayer: string;
  /** Length of the pooled feature vector. */
  featureSize: number;
  /** Names the ImageNet classifier layer has had: a backbone that still has one is not a feature extractor. */
  topLayerNames?: readonly string[];
  /**
   * Fine-tuning facts (fastai's `model_meta`, timm's `_cfg`): the layer up to which the backbone
   * stays frozen unless told otherwise (ResNet50: `conv4_block6_out`, so conv5 trains), and the
   * stage each layer belongs to, for discriminative learning rates. Without it, fine-tuning needs
   * an explicit `freeze` and the backbone is one learning-rate group.
   */
  fineTune?: { defaultFreeze: string; stageOf?: (layerName: string) => string };
  /** Pretrained weight variants by name (`imagenet`, …). */
  weights: Readonly<Record<string, PretrainedWeights>>;
  /** Files that share a name with the real weights but must be refused, by md5, with the reason. */
  rejectedFiles?: readonly { md5: string; reason: string }[];
  /** Licence of the weights. */
  license: string;
  /** Set for demo models that are not meant for real use. */
  demo?: boolean;
}
