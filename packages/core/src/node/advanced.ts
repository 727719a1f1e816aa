/**
 * @graft/core/advanced in Node: the building blocks of the shared entry, plus Node's services —
 * a feature cache on disk, frozen activations in a float16 file, atomic file writes.
 * @packageDocumentation
 */
export * from '../advanced.js';
export { fileActivationStore } from './activation-file.js';
export { replaceFolderAtomic, writeFileAtomic } from './atomic.js';
export { DiskFeatureCache } from './disk-feature-cache.js';
export { BACKBONE_WEIGHTS_FILE, type BackboneFileReuse, type FileSaveOptions } from './model-files.js';
