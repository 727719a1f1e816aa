import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expectedWeightsId, getModel, type ModelSpec, nodePlatform } from '@graft/zoo';
import { loadClassifier } from '../../classifier/create.js';
import type { BackboneAccelerator } from '../../features/accelerator.js';
import { imageContentHash, viewFeatureKey } from '../../inference/cached-features.js';
import { decodeFiles } from '../decode-files.js';
import { fileLoadHandler } from '../model-files.js';
import { openEmbedder } from '../open-embedder.js';
import type { EmbedTask, PredictTask, Shard, ShardTask } from './manifest.js';
import { type IndexLine, writeShardOutput } from './shard-files.js';

/** A worker's weights are not the ones a task was planned with: it must not run it. */
export class WeightsMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsMismatchError';
  }
}

/** Runs the shards of one task: the loaded model, kept across shards. */
export interface ShardProcessor {
  readonly task: ShardTask;
  /** Processes `files` (the shard's slice) and writes its output into `outDir` atomically. */
  run(
    shard: Shard,
    files: readonly string[],
    outDir: string,
    onProgress?: (done: number) => void,
  ): Promise<void>;
  dispose(): Promise<void>;
}

/** How a worker opens a task's model. */
export interface ProcessorOptions {
  /** Runs the frozen backbone (ONNX Runtime in Node), as for a local run. */
  accelerator?: BackboneAccelerator;
  /** This machine's weights for the task's model (a path), in place of what the task names. */
  weights?: string;
  mirror?: string;
  /** Images per forward pass (default 8). */
  batchSize?: number;
}

/** sha256 over a model folder's files (names and bytes), in name order: what names its weights. */
export async function modelFolderId(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of (await readdir(dir)).sort()) {
    hash.update(`${name}\n`);
    hash.update(await readFile(join(dir, name)));
  }
  return hash.digest('hex');
}

/** The task's embedder, refused (before anything loads, where the id is known up front) when this machine's weights differ. */
async function openEmbedderFor(spec: ModelSpec, task: EmbedTask, options: ProcessorOptions) {
  const weights = options.weights ?? task.weights;
  const refuse = (id: string) =>
    new WeightsMismatchError(
      `this worker's weights for ${spec.id} (${weights ?? 'default'}, id ${id.slice(0, 16)}…) are not the ones the job was planned with (id ${task.weightsId.slice(0, 16)}…): refusing it`,
    );
  const known = await expectedWeightsId(spec.id, { weights }, nodePlatform);
  if (known && known !== task.weightsId) throw refuse(known);
  const opened = await openEmbedder(spec.id, {
    weights,
    layer: task.layer,
    inputSize: task.inputSize,
    accelerator: options.accelerator,
    mirror: options.mirror,
    weightsId: known,
  });
  if (opened.weights.id !== task.weightsId) {
    await opened.dispose();
    throw refuse(opened.weights.id);
  }
  return opened;
}

async function openEmbed(task: EmbedTask, options: ProcessorOptions): Promise<ShardProcessor> {
  const spec = getModel(task.model);
  const { embedder, dispose } = await openEmbedderFor(spec, task, options);
  const batchSize = options.batchSize ?? 8;
  // the classifier's view of the backbone, so that its feature cache finds these rows by key
  const identity = {
    id: spec.id,
    preprocessing: spec.preprocessing,
    inputSize: task.inputSize,
    featureLayer: task.layer,
  };
  return {
    task,
    async run(shard, files, outDir, onProgress) {
      const { images, skipped } = await decodeFiles(files, { maxSize: task.inputSize });
      const failed = new Map(skipped.map((s) => [s.file, s.reason]));
      const rows: Float32Array[] = [];
      for (let start = 0; start < images.length; start += batchSize) {
        const chunk = images.slice(start, start + batchSize);
        rows.push(
          ...(await embedder.extract(
            chunk.map((c) => c.image),
            { batchSize, names: chunk.map((c) => c.file) },
          )),
        );
        onProgress?.(start + chunk.length);
      }
      const index: IndexLine[] = [];
      let row = 0;
      for (const [i, file] of files.entries()) {
        const reason = failed.get(file);
        if (reason !== undefined) {
          index.push({ file, input: shard.start + i, error: reason });
          continue;
        }
        const image = images[row]!.image;
        const contentHash = await imageContentHash(image);
        const key = viewFeatureKey(identity, task.weightsId, contentHash);
        index.push({ file, row: row++, content: contentHash, key, input: shard.start + i });
      }
      await writeShardOutput(outDir, shard, { index, features: rows, dtype: task.dtype });
      onProgress?.(files.length);
    },
    dispose,
  };
}

async function openPredict(task: PredictTask, options: ProcessorOptions): Promise<ShardProcessor> {
  const mine = await modelFolderId(task.modelDir);
  if (mine !== task.weightsId)
    throw new WeightsMismatchError(
      `the model folder ${task.modelDir} on this worker (id ${mine.slice(0, 16)}…) is not the one the job was planned with (id ${task.weightsId.slice(0, 16)}…): refusing it`,
    );
  const clf = await loadClassifier(fileLoadHandler(task.modelDir));
  clf.accelerator = options.accelerator ?? null;
  const batchSize = options.batchSize ?? 8;
  return {
    task,
    async run(shard, files, outDir, onProgress) {
      const { images, skipped } = await decodeFiles(files, { maxSize: clf.info.inputSize });
      const failed = new Map(skipped.map((s) => [s.file, s.reason]));
      const predictions = await clf.predict(
        images.map((i) => i.image),
        { topK: task.topK, batchSize },
      );
      onProgress?.(files.length);
      let row = 0;
      const index: IndexLine[] = files.map((file, i) => {
        const reason = failed.get(file);
        if (reason !== undefined) return { file, input: shard.start + i, error: reason };
        const p = predictions[row++]!;
        return {
          file,
          input: shard.start + i,
          label: p.label,
          probability: p.probability,
          top: p.top.map(({ label, probability }) => ({ label, probability })),
        };
      });
      await writeShardOutput(outDir, shard, { index });
    },
    dispose: async () => clf.dispose(),
  };
}

/** Opens the model a task needs, refusing it when this machine's weights are not the planned ones. */
export function openShardProcessor(task: ShardTask, options: ProcessorOptions = {}): Promise<ShardProcessor> {
  return task.kind === 'embed' ? openEmbed(task, options) : openPredict(task, options);
}
