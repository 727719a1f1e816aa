/**
 * @graft/core — feature extraction and fine-tuning on TensorFlow.js, in Node, browsers and workers.
 *
 * This entry is what an application needs: create or load a classifier, train it, predict, save.
 * Building blocks (feature caches, accelerators, the probe, model-folder I/O, training state
 * encoding) are under `@graft/core/advanced`; the pieces of multi-core training workers under
 * `@graft/core/replica`.
 * @packageDocumentation
 */

export { Classifier, type ClassifierEvaluation, type Prediction } from './classifier/classifier.js';
export { createClassifier, loadClassifier } from './classifier/create.js';
export { DEFAULTS } from './classifier/defaults.js';
export type {
  ClassifierOptions,
  FineTuneOptions,
  FitOptions,
  TrainingHistory,
  TrainOptions,
} from './classifier/options.js';
export type { AugmentOptions } from './data/augment.js';
export type { ImageSource, LabeledImage } from './data/dataset.js';
export type { RgbImage } from './data/image.js';
export { createFeatureExtractor, type FeatureExtractor } from './inference/extractor.js';
export type { ClassifierManifest } from './manifest.js';
export type { HeadOptions } from './model/head.js';
export { checkpoint } from './train/checkpoint.js';
export type { EarlyStoppingOptions, EpochLog, ProgressEvent, TrainingCallbacks } from './train/loop.js';
export type { TrainingState } from './train/state.js';
export { CORE_VERSION } from './version.js';
