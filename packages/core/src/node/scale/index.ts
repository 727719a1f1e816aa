export { featureDataset } from './feature-dataset.js';
export { featuresMismatch, type MergedFeatures, openMergedFeatures, runShardsHere } from './local.js';
export {
  type EmbedTask,
  FILES_FILE,
  MANIFEST_FILE,
  type PredictTask,
  planShards,
  readFileList,
  readManifest,
  type Shard,
  type ShardManifest,
  type ShardTask,
  shardId,
  shardsOfSlice,
  writeManifest,
} from './manifest.js';
export {
  MERGED_FEATURES,
  MERGED_INDEX,
  MERGED_PREDICTIONS,
  type MergeResult,
  mergeShards,
  missingShards,
} from './merge.js';
export { encodeNpy, type FeatureDtype, readNpy } from './npy.js';
export {
  modelFolderId,
  openShardProcessor,
  type ProcessorOptions,
  type ShardProcessor,
  WeightsMismatchError,
} from './processor.js';
export {
  type CoordinatorOptions,
  coordinateShards,
  QUEUE_NAME,
  redisOptions,
  runShardWorker,
  type ShardJob,
  type WorkerOptions,
} from './queue.js';
export { type IndexLine, isShardDone, writeShardOutput } from './shard-files.js';
