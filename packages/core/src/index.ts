/**
 * @graft/core — feature extraction and fine-tuning on TensorFlow.js, in Node, browsers and workers.
 * @packageDocumentation
 */

export { DEFAULTS } from './classifier/defaults.js';
export {
  type BackboneInfo,
  Classifier,
  type ClassifierEvaluation,
  type ClassifierOptions,
  type ClassifierStats,
  createClassifier,
  createReplica,
  type FineTuneOptions,
  type FitOptions,
  type HeadSolver,
  loadClassifier,
  type Prediction,
  type ProbeOptions,
  type TrainingHistory,
  type TrainOptions,
  type ValidationOption,
} from './classifier.js';
export { type AugmentOptions, augmentImage, resolveAugment } from './data/augment.js';
export { toInputBatch } from './data/batch.js';
export {
  classCounts,
  collectExamples,
  type Example,
  type ImageSource,
  type LabeledImage,
  resolveClassWeights,
  stratifiedSplit,
  validateTrainingSet,
} from './data/dataset.js';
export { assertRgbImage, type RgbImage } from './data/image.js';
export {
  type AcceleratedRunner,
  type AcceleratorRequest,
  type BackboneAccelerator,
  weightsKeyFromIdentity,
  weightsKeyOf,
} from './features/accelerator.js';
export {
  type FeatureCache,
  type FeatureKeyParts,
  featureKey,
  InMemoryFeatureCache,
} from './features/cache.js';
export {
  type CachedFeatureExtractorOptions,
  createFeatureExtractor,
  type FeatureExtractor,
  type FeatureExtractorOptions,
  type ImageEmbedder,
  openCachedFeatureExtractor,
} from './features/extractor.js';
export {
  createOnnxAccelerator,
  type OnnxAcceleratorOptions,
  type OrtModule,
} from './features/onnx-accelerator.js';
export {
  MODEL_FILES,
  type ModelFolderFiles,
  modelFolderFiles,
  modelFolderLoadHandler,
} from './io/model-folder.js';
export { type ClassifierManifest, checkManifest, MANIFEST_FORMAT_VERSION } from './manifest.js';
export { type ClassMetrics, classificationReport, type EvaluationReport } from './metrics.js';
export { freezeBackbone, resolveFreezeIndex } from './model/freeze.js';
export {
  type ActivationStore,
  type ActivationStoreFactory,
  memoryActivationStore,
} from './model/frozen-prefix.js';
export { type HeadOptions, OUTPUT_LAYER, POOL_LAYER } from './model/head.js';
export {
  DEFAULT_PROBE_GRID,
  fitLinearProbe,
  type LinearProbeOptions,
  type LinearProbeResult,
  type ProbePathPoint,
  type ProbeStep,
} from './probe/linear-probe.js';
export { type CheckpointOptions, checkpoint } from './train/checkpoint.js';
export {
  type EarlyStoppingOptions,
  type EpochLog,
  type Phase,
  type PhaseHistory,
  type ProbeSummary,
  type ProgressEvent,
  runPhase,
  type StopReason,
  type TrainingCallbacks,
} from './train/loop.js';
export { createOptimizer, type OptimizerName, type SavedTensor } from './train/optimizers.js';
export type {
  Replica,
  ReplicaGradients,
  ReplicaPart,
  ReplicaSetup,
  StepWorkers,
} from './train/replica.js';
export { learningRateAt, type Schedule } from './train/schedules.js';
export {
  decodeTrainingState,
  encodeTrainingState,
  TRAINING_STATE_VERSION,
  type TrainingState,
} from './train/state.js';
export { fromFloat16, toFloat16 } from './util/float16.js';
export { Random } from './util/random.js';
export { CORE_VERSION } from './version.js';
