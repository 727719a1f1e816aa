import { join } from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { toJsonLines } from './json-lines.js';
import { readFileList, readManifest, type Shard, type ShardManifest } from './manifest.js';
import { encodeNpy } from './npy.js';
import {
  finishedShardIds,
  type IndexLine,
  readShardFeatures,
  readShardIndex,
  removeStaleTemporaries,
} from './shard-files.js';

/** What a merge wrote. */
export interface MergeResult {
  manifest: ShardManifest;
  /** Images with output (features or a prediction). */
  images: number;
  /** Images skipped as unreadable, with why. */
  skipped: { file: string; reason: string }[];
  /** The merged files, in `dir`. */
  files: string[];
}

export const MERGED_FEATURES = 'features.npy';
export const MERGED_INDEX = 'index.jsonl';
export const MERGED_PREDICTIONS = 'predictions.jsonl';

/** The shards of `dir` that are not finished yet. */
export async function missingShards(dir: string, manifest?: ShardManifest): Promise<Shard[]> {
  const m = manifest ?? (await readManifest(dir));
  const done = await finishedShardIds(dir);
  return m.shards.filter((s) => !done.has(s.id));
}

/**
 * Checks that every shard of `dir` is there and holds exactly its slice of the input, once and in
 * order, then writes the whole output: `features.npy` + `index.jsonl` (embed) or
 * `predictions.jsonl` (predict), atomically. A missing or damaged shard is an error that names it:
 * never an output with holes.
 */
export async function mergeShards(dir: string): Promise<MergeResult> {
  const manifest = await readManifest(dir);
  const missing = await missingShards(dir, manifest);
  if (missing.length > 0) {
    const names = missing.slice(0, 5).map((s) => s.id);
    throw new Error(
      `${dir}: ${missing.length} of ${manifest.shards.length} shards are not finished (${names.join(', ')}${missing.length > 5 ? ', …' : ''}): run the workers again — finished shards are kept`,
    );
  }
  await removeStaleTemporaries(dir);
  const files = await readFileList(dir);
  if (files.length !== manifest.total)
    throw new Error(
      `${dir}: files.jsonl lists ${files.length} files where the manifest says ${manifest.total}`,
    );
  const lines: IndexLine[] = [];
  const parts: Float32Array[] = [];
  let dim = -1;
  let rows = 0;
  for (const shard of manifest.shards) {
    const index = await readShardIndex(dir, shard);
    const expected = files.slice(shard.start, shard.start + shard.count);
    const mismatch = index.length !== expected.length || index.some((l, i) => l.file !== expected[i]);
    if (mismatch)
      throw new Error(
        `${dir}: ${shard.id} does not hold its ${shard.count} input files in order (${index.length} lines): remove its files and run it again`,
      );
    if (manifest.task.kind === 'embed') {
      const ok = index.filter((l) => l.error === undefined).length;
      const features = await readShardFeatures(dir, shard);
      if (features.rows !== ok)
        throw new Error(`${dir}: ${shard.id}.npy has ${features.rows} rows for ${ok} images: damaged?`);
      if (ok > 0) {
        if (dim >= 0 && features.dim !== dim)
          throw new Error(
            `${dir}: ${shard.id}.npy has ${features.dim} features per image where others have ${dim}`,
          );
        dim = features.dim;
        parts.push(features.values);
      }
      for (const l of index) lines.push(l.error === undefined ? { ...l, row: rows++ } : l);
    } else lines.push(...index);
  }
  const skipped = lines.filter((l) => l.error !== undefined).map((l) => ({ file: l.file, reason: l.error! }));
  const jsonl = toJsonLines(lines);
  const written: string[] = [];
  if (manifest.task.kind === 'embed') {
    const values = new Float32Array(rows * Math.max(dim, 0));
    let offset = 0;
    for (const p of parts) {
      values.set(p, offset);
      offset += p.length;
    }
    await writeFileAtomic(
      join(dir, MERGED_FEATURES),
      encodeNpy(values, rows, Math.max(dim, 0), manifest.task.dtype),
    );
    await writeFileAtomic(join(dir, MERGED_INDEX), jsonl);
    written.push(MERGED_FEATURES, MERGED_INDEX);
  } else {
    await writeFileAtomic(join(dir, MERGED_PREDICTIONS), jsonl);
    written.push(MERGED_PREDICTIONS);
  }
  return { manifest, images: lines.length - skipped.length, skipped, files: written };
}
