import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { readJsonLines, toJsonLines } from './json-lines.js';
import { SHARDS_DIR, type Shard } from './manifest.js';
import { encodeNpy, type FeatureDtype, readNpy } from './npy.js';

/**
 * One line of a shard's index, per input file in order: its features' row (embed) or its
 * prediction (predict), or why it was skipped.
 */
export interface IndexLine {
  file: string;
  /** Position in the whole input. */
  input?: number;
  error?: string;
  /** Row in the features file (embed). */
  row?: number;
  /** sha256 and size of the pixels the backbone saw (embed). */
  content?: string;
  /** The feature-cache key of the row, so `graft train --features` finds it (embed). */
  key?: string;
  label?: string;
  probability?: number;
  top?: { label: string; probability: number }[];
}

const indexPath = (dir: string, shard: Pick<Shard, 'id'>) => join(dir, SHARDS_DIR, `${shard.id}.jsonl`);
const featuresPath = (dir: string, shard: Pick<Shard, 'id'>) => join(dir, SHARDS_DIR, `${shard.id}.npy`);

/**
 * Writes a shard's output: the features file first, then the index, each atomically (a temporary
 * name, then a rename), so an index under its final name means a complete shard — a crash at any
 * point leaves the shard simply not done. Rewriting a done shard (a retried job) writes the same.
 */
export async function writeShardOutput(
  dir: string,
  shard: Shard,
  output: { index: IndexLine[]; features?: Float32Array[]; dtype?: FeatureDtype },
): Promise<void> {
  if (output.features) {
    const dim = output.features[0]?.length ?? 0;
    const values = new Float32Array(output.features.length * dim);
    for (const [i, row] of output.features.entries()) values.set(row, i * dim);
    await writeFileAtomic(
      featuresPath(dir, shard),
      encodeNpy(values, output.features.length, dim, output.dtype ?? 'float32'),
    );
  }
  await writeFileAtomic(indexPath(dir, shard), toJsonLines(output.index));
}

/** Whether a shard's output is complete (its index is in place): one shard, as a worker asks. */
export async function isShardDone(dir: string, shard: Pick<Shard, 'id'>): Promise<boolean> {
  try {
    await stat(indexPath(dir, shard));
    return true;
  } catch {
    return false;
  }
}

/** The ids of the finished shards in `dir`, from one listing (a poll over thousands of shards). */
export async function finishedShardIds(dir: string): Promise<Set<string>> {
  try {
    const names = await readdir(join(dir, SHARDS_DIR));
    return new Set(names.filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -'.jsonl'.length)));
  } catch {
    return new Set();
  }
}

/** A finished shard's index; the error names the file. */
export function readShardIndex(dir: string, shard: Pick<Shard, 'id'>): Promise<IndexLine[]> {
  return readJsonLines<IndexLine>(indexPath(dir, shard));
}

/** A finished shard's features. */
export function readShardFeatures(dir: string, shard: Pick<Shard, 'id'>) {
  return readNpy(featuresPath(dir, shard));
}

/** Removes what crashed writers left under temporary names (never a finished file). */
export async function removeStaleTemporaries(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(join(dir, SHARDS_DIR));
  } catch {
    return 0;
  }
  const stale = names.filter((n) => n.includes('.tmp-'));
  await Promise.all(stale.map((n) => rm(join(dir, SHARDS_DIR, n), { force: true })));
  return stale.length;
}
