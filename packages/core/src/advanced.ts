/**
 * @graft/core/advanced — the building blocks under `@graft/core`'s classifier, for tools that
 * assemble their own: feature caches and accelerators, the solved head, data helpers, model-folder
 * I/O, training-state encoding, schedules, float16 and an HTML training report.
 * @packageDocumentation
 */
export type { BackboneInfo, ClassifierServices, ClassifierStats } from './classifier/learner.js';
export type {
  FineTuningOptions,
  HeadSolver,
  HeadTrainingOptions,
  ProbeOptions,
  ValidationOption,
} from './classifier/options.js';
export { augmentImage, resolveAugment } from './data/augment.js';
export { toInputBatch } from './data/batch.js';
export {
  classCounts,
  collectExamples,
  type Example,
  resolveClassWeights,
  stratifiedSplit,
  validateTrainingSet,
} from './data/dataset.js';
export { assertRgbImage } from './data/image.js';
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
  createOnnxAccelerator,
  type OnnxAcceleratorOptions,
  type OrtModule,
} from './features/onnx-accelerator.js';
export {
  type CachedFeatureExtractorOptions,
  type FeatureExtractorOptions,
  type ImageEmbedder,
  openCachedFeatureExtractor,
} from './inference/extractor.js';
export { MODEL_FILES } from './io/file-names.js';
export { type ModelFileMap, modelFilesOf } from './io/model-archive.js';
export { type ModelFolderFiles, modelFolderFiles, modelFolderLoadHandler } from './io/model-folder.js';
export { type Quantization, quantizeWeights } from './io/quantize.js';
export { crc32, readZip, writeZip } from './io/zip.js';
export { checkManifest, MANIFEST_FORMAT_VERSION } from './manifest.js';
export { type ClassMetrics, classificationReport, type EvaluationReport } from './metrics.js';
export { freezeBackbone, resolveFreezeIndex } from './model/freeze.js';
export {
  type ActivationStore,
  type ActivationStoreFactory,
  memoryActivationStore,
} from './model/frozen-prefix.js';
export { OUTPUT_LAYER, POOL_LAYER } from './model/head.js';
export {
  DEFAULT_PROBE_GRID,
  fitLinearProbe,
  type LinearProbeOptions,
  type LinearProbeResult,
  type ProbePathPoint,
  type ProbeStep,
} from './probe/linear-probe.js';
export {
  lineChart,
  type Series,
  type Thumbnail,
  type TrainingReport,
  trainingReportHtml,
} from './report/training-report.js';
export type { CheckpointOptions } from './train/checkpoint.js';
export {
  type Phase,
  type PhaseHistory,
  type ProbeSummary,
  runPhase,
  type StopReason,
} from './train/loop.js';
export { createOptimizer, type OptimizerName, type SavedTensor } from './train/optimizers.js';
export { learningRateAt, type Schedule } from './train/schedules.js';
export { decodeTrainingState, encodeTrainingState, TRAINING_STATE_VERSION } from './train/state.js';
export { fromFloat16, toFloat16 } from './util/float16.js';
export { Random } from './util/random.js';
