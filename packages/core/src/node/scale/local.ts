import { join } from 'node:path';
import { type FeatureCache, InMemoryFeatureCache } from '../../features/cache.js';
import { readJsonLines } from './json-lines.js';
import { type EmbedTask, readManifest, type Shard } from './manifest.js';
import { MERGED_FEATURES, MERGED_INDEX } from './merge.js';
import { readNpy } from './npy.js';
import type { ShardProcessor } from './processor.js';
import { finishedShardIds, type IndexLine } from './shard-files.js';

/**
 * Runs `shards` of a job in this process, skipping the finished ones (incremental resume):
 * `--shard i/n` and runs without a queue. The model is opened (`open`) only when a shard is left
 * to run, and disposed at the end. `onProgress` counts images over the given shards.
 */
export async function runShardsHere(
  outDir: string,
  files: readonly string[],
  shards: readonly Shard[],
  open: () => Promise<ShardProcessor>,
  onProgress?: (done: number, total: number) => void,
): Promise<{ ran: number; kept: number }> {
  const total = shards.reduce((n, s) => n + s.count, 0);
  const finished = await finishedShardIds(outDir);
  let processor: ShardProcessor | null = null;
  let done = 0;
  let ran = 0;
  try {
    for (const shard of shards) {
      if (!finished.has(shard.id)) {
        processor ??= await open();
        await processor.run(shard, files.slice(shard.start, shard.start + shard.count), outDir, (n) =>
          onProgress?.(done + n, total),
        );
        ran++;
      }
      done += shard.count;
      onProgress?.(done, total);
    }
  } finally {
    await processor?.dispose();
  }
  return { ran, kept: shards.length - ran };
}

/**
 * Why features embedded by `task` are not what a classifier on `identity` would compute (another
 * backbone, weights, layer or input size), or null when they are.
 */
export function featuresMismatch(
  task: EmbedTask,
  identity: { model: string; weightsId: string; layer: string; inputSize: readonly [number, number] },
): string | null {
  const differs: string[] = [];
  if (task.model !== identity.model) differs.push(`model ${task.model}, not ${identity.model}`);
  else if (task.weightsId !== identity.weightsId) differs.push('other weights');
  if (task.layer !== identity.layer) differs.push(`layer ${task.layer}, not ${identity.layer}`);
  if (task.inputSize.join('x') !== identity.inputSize.join('x'))
    differs.push(`input ${task.inputSize.join('×')}, not ${identity.inputSize.join('×')}`);
  return differs.length > 0 ? differs.join('; ') : null;
}

/** Merged features of a sharded embed, opened. */
export interface MergedFeatures {
  dir: string;
  task: EmbedTask;
  /** Every row by its feature-cache key: give it to `clf.featureCache`. */
  cache: FeatureCache;
  rows: number;
  /** Each embedded file's key and content hash (sha256 and size of the pixels the backbone saw). */
  byFile: Map<string, { key: string; content?: string }>;
}

/**
 * Merged features of a sharded embed (`graft embed --out DIR`, then merged) as a feature cache a
 * classifier reads instead of running its backbone (`clf.featureCache`), with the task that made
 * them, so the caller can check it is the classifier's backbone, weights, layer and size.
 */
export async function openMergedFeatures(dir: string): Promise<MergedFeatures> {
  const manifest = await readManifest(dir);
  if (manifest.task.kind !== 'embed') throw new Error(`${dir} holds predictions, not features`);
  let index: IndexLine[];
  try {
    index = await readJsonLines<IndexLine>(join(dir, MERGED_INDEX));
  } catch (err) {
    throw new Error(
      `${join(dir, MERGED_INDEX)} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): merge the shards first (graft merge ${dir})`,
    );
  }
  const features = await readNpy(join(dir, MERGED_FEATURES));
  const cache = new InMemoryFeatureCache(Number.MAX_SAFE_INTEGER);
  const byFile = new Map<string, { key: string; content?: string }>();
  for (const line of index) {
    if (line.row === undefined || !line.key) continue;
    byFile.set(line.file, { key: line.key, content: line.content });
    if (line.row >= features.rows)
      throw new Error(`${join(dir, MERGED_INDEX)} names row ${line.row} of ${features.rows}: damaged?`);
    await cache.set(line.key, features.values.slice(line.row * features.dim, (line.row + 1) * features.dim));
  }
  return { dir, task: manifest.task, cache, rows: features.rows, byFile };
}
