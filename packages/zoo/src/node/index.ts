/**
 * @graft/zoo for Node: the portable API plus the on-disk cache (`GRAFT_HOME`), resumable verified
 * downloads, import of hand-carried files, and export of converted models.
 * @packageDocumentation
 */
export * from '../index.js';
export { convertedDir, graftHome, modelDir, weightFilePath } from './cache-dir.js';
export { diskConvertedReader, writeConvertedFolder } from './converted-store.js';
export { checkFile, DownloadError, type DownloadOptions, downloadFile, md5File } from './download.js';
export { exportBackbone } from './export.js';
export { loadBackbone } from './load.js';
export { acquireLock, type FileLock, LockHeldError, type LockOptions } from './lock.js';
export { nodePlatform } from './platform.js';
export { whyUnwritable } from './unwritable.js';
export {
  type CachedFileInfo,
  cacheSize,
  ensureWeightFile,
  identifyWeightFile,
  importWeightFile,
  listWeightFiles,
  removeCachedModel,
  verifyCache,
} from './weight-cache.js';
