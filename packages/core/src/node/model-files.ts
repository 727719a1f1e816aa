import { link, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { elementCount } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { MODEL_FILES } from '../io/file-names.js';
import { modelFolderFiles, modelFolderLoadHandler } from '../io/model-folder.js';
import { replaceFolderAtomic } from './atomic.js';

const FILE_SCHEME = 'file://';

/** The file that holds a checkpoint's backbone weights (the head's stay in weights.bin). */
export const BACKBONE_WEIGHTS_FILE = 'backbone.bin';

/**
 * Remembers the backbone weights file a checkpoint wrote, so that the next checkpoint of the same,
 * unchanged weights hard-links it instead of writing the same ~95 MB again.
 */
export interface BackboneFileReuse {
  last?: { buffer: ArrayBuffer; path: string; ino: number; size: number };
}

/** Options of {@link fileSaveHandler}. */
export interface FileSaveOptions {
  /** More files written into the folder in the same atomic step (a checkpoint's training state). */
  extraFiles?: Record<string, string | Uint8Array>;
  /**
   * For checkpoints: weights saved in parts (`Classifier.save`: backbone, then head) go to
   * backbone.bin and weights.bin, and an unchanged backbone file is hard-linked, not rewritten.
   */
  reuse?: BackboneFileReuse;
}

/** `file:///abs/dir`, `file://rel/dir` (as tfjs-node takes it) or a plain path → a folder path. */
function folderOf(url: string): string {
  if (!url.startsWith(FILE_SCHEME)) return resolve(url);
  return url.startsWith('file:///') ? fileURLToPath(url) : resolve(url.slice(FILE_SCHEME.length));
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

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
 * A tfjs save handler that writes a model folder (`model.json`, `weights.bin`, and `graft.json`
 * for a Graft classifier) on disk, atomically: the files go to a temporary folder that replaces
 * `dir` at once, so an interrupted save never leaves a half-written model under its name.
 */
export function fileSaveHandler(dir: string, options: FileSaveOptions = {}): tfc.io.IOHandler {
  const target = folderOf(dir);
  const { extraFiles = {}, reuse } = options;
  return tfc.io.withSaveHandler(async (artifacts) => {
    const parts = artifacts.weightData;
    const split = reuse !== undefined && Array.isArray(parts) && parts.length > 1;
    const files = modelFolderFiles(split ? { ...artifacts, weightData: parts.slice(1) } : artifacts);
    let placed: ArrayBuffer | undefined;
    if (split) {
      placed = parts[0]!;
      const specs = artifacts.weightSpecs ?? [];
      let count = 0;
      for (let bytes = 0; bytes < placed.byteLength; count++)
        bytes += elementCount(specs[count]!.shape) * (BYTES_PER_ELEMENT[specs[count]!.dtype] ?? 4);
      const json = JSON.parse(files[MODEL_FILES.json]) as tfc.io.ModelJSON;
      json.weightsManifest = [
        { paths: [BACKBONE_WEIGHTS_FILE], weights: specs.slice(0, count) },
        { paths: [MODEL_FILES.weights], weights: specs.slice(count) },
      ];
      files[MODEL_FILES.json] = JSON.stringify(json);
    }
    try {
      await replaceFolderAtomic(target, async (temp) => {
        if (placed) await placeBackboneFile(temp, placed, reuse!);
        for (const [name, data] of Object.entries({ ...files, ...extraFiles }))
          await writeFile(join(temp, name), data);
      });
    } catch (err) {
      throw new Error(`cannot save the model to ${target}: ${(err as Error).message}`);
    }
    if (placed && reuse) {
      const path = join(target, BACKBONE_WEIGHTS_FILE);
      const info = await stat(path);
      reuse.last = { buffer: placed, path, ino: info.ino, size: info.size };
    }
    return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** A tfjs load handler for a model folder on disk (any number of shards); a missing file is named. */
export function fileLoadHandler(dir: string): tfc.io.IOHandler {
  const folder = folderOf(dir);
  return modelFolderLoadHandler(async (path) => {
    try {
      return new Uint8Array(await readFile(join(folder, path)));
    } catch (err) {
      if (path === MODEL_FILES.json && (err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`${folder} has no ${MODEL_FILES.json}: not a model folder`);
      throw new Error(`${join(folder, path)} is missing: the model folder is incomplete`);
    }
  }, folder);
}

/**
 * Lets `clf.save('file://…')`, `loadClassifier('file://…')` and `tf.loadLayersModel('file://…')`
 * work in Node without tfjs-node; where tfjs-node already handles `file://`, leaves it to it.
 */
export function registerFileRouters(): void {
  // tfjs's routers answer null for URLs they do not handle (its IORouter type omits it)
  const none = null as unknown as tfc.io.IOHandler;
  const probe = `${FILE_SCHEME}/graft-probe`;
  if (tfc.io.getSaveHandlers(probe).length === 0) {
    tfc.io.registerSaveRouter((url) =>
      typeof url === 'string' && url.startsWith(FILE_SCHEME) ? fileSaveHandler(url) : none,
    );
  }
  if (tfc.io.getLoadHandlers(probe).length === 0) {
    tfc.io.registerLoadRouter((url) =>
      typeof url === 'string' && url.startsWith(FILE_SCHEME) ? fileLoadHandler(url) : none,
    );
  }
}
