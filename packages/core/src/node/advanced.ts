/**
 * @graft/core/advanced in Node: the building blocks of the shared entry, plus Node's services —
 * the best tfjs backend (`selectBackend`), ONNX Runtime for frozen backbones, a feature cache on disk, frozen activations in a float16 file, atomic file writes, image
 * decoding (sharp, an optional peer dependency), and image folders and CSV/JSONL lists read as
 * data sets.
 * @packageDocumentation
 */
export * from '../advanced.js';
export { fileActivationStore } from './activation-file.js';
export { recoverReplacedFolder, replaceFolderAtomic, writeFileAtomic } from './atomic.js';
export {
  type ActiveBackend,
  BACKEND_CHOICES,
  type BackendChoice,
  BackendUnavailableError,
  selectBackend,
} from './backend.js';
export { type DecodedFiles, type DecodeFilesOptions, decodeFiles } from './decode-files.js';
export {
  DEFAULT_PIXEL_LIMIT,
  type DecodedImage,
  decodeImageBytes,
  decodeImageFile,
  ImageDecodeError,
  imageThumbnail,
} from './decode-image.js';
export { DiskFeatureCache } from './disk-feature-cache.js';
export {
  DatasetError,
  type DatasetFile,
  IMAGE_EXTENSIONS,
  listImageFiles,
  type ScannedDataset,
  scanDataset,
} from './image-folder.js';
export {
  type BadInput,
  type LoadedImageDataset,
  type LoadImagesOptions,
  loadImageDataset,
  loadImageFolder,
} from './load-images.js';
export { BACKBONE_WEIGHTS_FILE, type BackboneFileReuse, type FileSaveOptions } from './model-files.js';
export { createNodeOnnxEngine, diskGraphCache, loadOnnxRuntime, type NodeOnnxEngine } from './onnx-engine.js';
export { type OpenEmbedderOptions, openEmbedder } from './open-embedder.js';
export { loggedBefore, readTrainingState, saveResumable, TRAINING_STATE_FILES } from './resumable.js';
export * from './scale/index.js';
export { createStepWorkers, type StepWorkerOptions } from './step-workers.js';
