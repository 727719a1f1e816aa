import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { readJsonLines, toJsonLines } from './json-lines.js';
import type { FeatureDtype } from './npy.js';

/** Pooled backbone features of every image (`graft embed --out`). */
export interface EmbedTask {
  kind: 'embed';
  /** Zoo model id. */
  model: string;
  /** Weights as given to `loadBackbone` (a variant name or a weight file path); default the model's first. */
  weights?: string;
  /** What those weights are (`LoadedBackbone.weights.id`): a worker whose weights differ refuses the task. */
  weightsId: string;
  layer: string;
  inputSize: [number, number];
  dtype: FeatureDtype;
}

/** A trained model's predictions for every image (`graft predict --out`). */
export interface PredictTask {
  kind: 'predict';
  /** The model folder (model.json + graft.json), on a path every worker sees. */
  modelDir: string;
  /** sha256 of the model folder's files as planned: a worker that sees other files refuses the task. */
  weightsId: string;
  topK: number;
}

export type ShardTask = EmbedTask | PredictTask;

/** One slice of the input: `count` files from `start`, named by its id. */
export interface Shard {
  id: string;
  index: number;
  start: number;
  count: number;
}

/** What a sharded output folder holds: the task, the input in order, and how it is cut. */
export interface ShardManifest {
  format: 'graft-shards/1';
  task: ShardTask;
  shardSize: number;
  total: number;
  /** sha256 of the task and the file list: names the job, so another job never mixes in. */
  key: string;
  shards: Shard[];
}

export const MANIFEST_FILE = 'manifest.json';
/** The input files, one JSON string per line (a path may hold any character). */
export const FILES_FILE = 'files.jsonl';
export const SHARDS_DIR = 'shards';

/** The shard of `index`: `shard-000042`, so that names sort in order. */
export function shardId(index: number): string {
  return `shard-${String(index).padStart(6, '0')}`;
}

/** Cuts `files` (in the order given, which the caller makes deterministic) into shards of `shardSize`. */
export function planShards(task: ShardTask, files: readonly string[], shardSize: number): ShardManifest {
  if (!(Number.isInteger(shardSize) && shardSize > 0))
    throw new Error(`shard size must be a positive whole number, got ${shardSize}`);
  const hash = createHash('sha256').update(JSON.stringify(task));
  for (const f of files) hash.update(`\n${f}`);
  const shards: Shard[] = [];
  for (let start = 0, index = 0; start < files.length; start += shardSize, index++)
    shards.push({ id: shardId(index), index, start, count: Math.min(shardSize, files.length - start) });
  return {
    format: 'graft-shards/1',
    task,
    shardSize,
    total: files.length,
    key: hash.update(`\n${shardSize}`).digest('hex'),
    shards,
  };
}

/**
 * Writes the manifest and file list into `dir`, or checks that `dir` already holds this same job
 * (its finished shards are then kept: incremental resume). Another job's folder is refused.
 */
export async function writeManifest(
  dir: string,
  manifest: ShardManifest,
  files: readonly string[],
): Promise<void> {
  const existing = await readManifest(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing) {
    if (existing.key === manifest.key) return;
    throw new Error(
      `${dir} holds the shards of another job (other images, model or shard size): give a new --out, or remove it`,
    );
  }
  await writeFileAtomic(join(dir, FILES_FILE), toJsonLines(files));
  await writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The manifest of a sharded output folder; the error names the file. */
export async function readManifest(dir: string): Promise<ShardManifest> {
  const path = join(dir, MANIFEST_FILE);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    throw Object.assign(
      new Error(
        `${dir} is not a sharded output folder (no ${MANIFEST_FILE}): give the --out of graft embed or predict`,
      ),
      { code: 'ENOENT' },
    );
  });
  let manifest: ShardManifest;
  try {
    manifest = JSON.parse(text) as ShardManifest;
  } catch {
    throw new Error(`${path} is not valid JSON (damaged?)`);
  }
  if (manifest.format !== 'graft-shards/1') throw new Error(`${path} is not a graft shard manifest`);
  return manifest;
}

/** The input files of a sharded output folder, in order. */
export function readFileList(dir: string): Promise<string[]> {
  return readJsonLines<string>(join(dir, FILES_FILE));
}

/**
 * Which shards slice `i` of `n` takes (`--shard i/n`, a Kubernetes Indexed Job, a Slurm array):
 * every n-th from the i-th, so that slices stay even however the shards fall.
 */
export function shardsOfSlice(manifest: ShardManifest, slice: number, slices: number): Shard[] {
  if (!(Number.isInteger(slices) && slices > 0 && Number.isInteger(slice) && slice >= 0 && slice < slices))
    throw new Error(`shard slice ${slice}/${slices}: want i/n with 0 ≤ i < n`);
  return manifest.shards.filter((s) => s.index % slices === slice);
}
