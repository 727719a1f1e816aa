/**
 * @graft/zoo — the model registry: architectures, weight sources, the Keras .h5 reader, and
 * `loadBackbone`. This entry is portable (no Node built-ins, no DOM); the `node` and `browser`
 * entries add a persistent cache to `loadBackbone`.
 * @packageDocumentation
 */
import { createBackboneLoader } from './load-backbone.js';
import { fetchPlatform } from './platform/fetch-platform.js';

export {
  buildResNet50,
  MULTISCALE_LAYER,
  RESNET_BN_EPSILON,
  RESNET50_FINE_TUNE,
  RESNET50_TOP_LAYERS,
  type ResNet50Options,
} from './architectures/resnet50.js';
export { backendReady } from './backend-ready.js';
export { type ClassScore, decodePredictions, topK } from './decode-predictions.js';
export { candidateUrls, env, type GraftEnv } from './env.js';
export {
  type KerasWeight,
  type KerasWeightFile,
  legacyResNet50Reason,
  readKerasWeightFile,
  WeightFileError,
} from './h5/keras-h5.js';
export { type KerasLoadReport, loadWeightsFromKerasH5 } from './h5/load-weights.js';
export { IMAGENET_LABELS } from './imagenet-labels.js';
export {
  type BackbonePlatform,
  convertedKey,
  createBackboneLoader,
  expectedWeightsId,
  type LoadBackboneOptions,
  type LoadedBackbone,
  type LoadProgress,
} from './load-backbone.js';
export { inboundLayerNames, layersFeeding } from './model-graph.js';
export { exportOnnx, type OnnxExport, type OnnxExportOptions } from './onnx/export-onnx.js';
export {
  fetchBytes,
  fetchPlatform,
  httpConvertedReader,
  verifyWeightFile,
} from './platform/fetch-platform.js';
export { CAFFE_MEAN_BGR, type PreprocessingMode, preprocess, preprocessPixels } from './preprocess.js';
export { getModel, listModels, type ModelId, registerModel, type ShippedModelId } from './registry.js';
export type { BuildOptions, ModelSpec, PretrainedWeights, WeightFileSpec } from './spec.js';
export { concatArrays, concatBytes, elementCount } from './util/arrays.js';
export { ZOO_VERSION } from './version.js';
export {
  CONVERTED_MANIFEST_FILE,
  type ConvertedFiles,
  type ConvertedManifest,
  type ConvertedReader,
  convertModel,
  IntegrityError,
  loadConvertedWeights,
  MODEL_JSON_FILE,
  readConvertedManifest,
} from './weights/converted.js';
export { sha256Hex } from './weights/digest.js';
export { Md5, md5Hex } from './weights/md5.js';

/** Loads a zoo model with its weights over plain `fetch` (no persistent cache in this entry). */
export const loadBackbone = createBackboneLoader(fetchPlatform);
