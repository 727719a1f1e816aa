import { link, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassifierManifest } from '@graft/core';
import { MODEL_FILES, modelFolderFiles, modelFolderLoadHandler } from '@graft/core/advanced';
import { elementCount } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { replaceFolderAtomic } from './atomic.js';

export { MODEL_FILES };

/**
 * Remembers the backbone weights file a checkpoint wrote, so that the next checkpoint of the same,
 * unchanged weights hard-links it instead of writing the same ~95 MB again.
 */
export interface BackboneFileReuse {
  last?: { buffer: ArrayBuffer; path: string; ino: number; size: number };
}

/** The file that holds a checkpoint's backbone weights (the head's stay in weights.bin). */
export const BACKBONE_WEIGHTS_FILE = 'backbone.bin';

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function byteSize(spec: tfc.io.WeightsManifestEntry): number {
  return elementCount(spec.shape) * (BYTES_PER_ELEMENT[spec.dtype] ?? 4);
}

/** Puts the backbone's weights into `temp`: a hard link to the file written before when they are the same buffer. */
async function placeBackboneFile(temp: string, buffer: ArrayBuffer, reuse: BackboneFileReuse): Promise<void> {
  const target = join(temp, BACKBONE_WEIGHTS_FILE);
  const last = reuse.last;
  if (last?.buffer === buffer) {
    try {
      const info = await stat(last.path);
      if (info.ino === last.ino && info.size === last.size) {
        await link(last.path, target);
        return;
      }
    } catch {
      // gone or not linkable (another file system): write it again below
    }
  }
  await writeFile(target, new Uint8Array(buffer));
}

/**
 * A tfjs save handler that writes a model folder on disk atomically (tfjs-node's `file://` without
 * needing tfjs-node): readable by plain `tf.loadLayersModel` over HTTP and by `graft predict`.
 * `extraFiles` go into the same folder in the same atomic step (a checkpoint's training state).
 * With `reuse` (checkpoints), weights saved in parts (`Classifier.save`: backbone, then head) go to
 * backbone.bin and weights.bin, and an unchanged backbone file is linked, not rewritten.
 */
export function folderSaveHandler(
  dir: string,
  manifest?: ClassifierManifest,
  extraFiles: Record<string, string | Uint8Array> = {},
  reuse?: BackboneFileReuse,
): tfc.io.IOHandler {
  return tfc.io.withSaveHandler(async (artifacts) => {
    const parts = artifacts.weightData;
    const split = reuse !== undefined && Array.isArray(parts) && parts.length > 1;
    const files = modelFolderFiles(split ? { ...artifacts, weightData: parts.slice(1) } : artifacts);
    let placed: { buffer: ArrayBuffer; size: number } | undefined;
    if (split) {
      const backbone = parts[0]!;
      const specs = artifacts.weightSpecs ?? [];
      let count = 0;
      for (let bytes = 0; bytes < backbone.byteLength; count++) bytes += byteSize(specs[count]!);
      const json = JSON.parse(files[MODEL_FILES.json]) as tfc.io.ModelJSON;
      json.weightsManifest = [
        { paths: [BACKBONE_WEIGHTS_FILE], weights: specs.slice(0, count) },
        { paths: [MODEL_FILES.weights], weights: specs.slice(count) },
      ];
      files[MODEL_FILES.json] = JSON.stringify(json);
      placed = { buffer: backbone, size: backbone.byteLength };
    }
    await replaceFolderAtomic(dir, async (temp) => {
      if (placed) await placeBackboneFile(temp, placed.buffer, reuse!);
      await writeFile(join(temp, MODEL_FILES.weights), files[MODEL_FILES.weights]);
      await writeFile(join(temp, MODEL_FILES.json), files[MODEL_FILES.json]);
      if (manifest)
        await writeFile(join(temp, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
      for (const [name, data] of Object.entries(extraFiles)) await writeFile(join(temp, name), data);
    });
    if (placed && reuse) {
      const path = join(dir, BACKBONE_WEIGHTS_FILE);
      const info = await stat(path);
      reuse.last = { buffer: placed.buffer, path, ino: info.ino, size: info.size };
    }
    return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** A tfjs load handler for a model folder on disk (any number of shards). */
export function folderLoadHandler(dir: string): tfc.io.IOHandler {
  return modelFolderLoadHandler(async (path) => {
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (err) {
      if (path === MODEL_FILES.json && (err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`${dir} has no ${MODEL_FILES.json}: not a model folder`);
      throw new Error(`${join(dir, path)} is missing: the model folder is incomplete`);
    }
  }, dir);
}
