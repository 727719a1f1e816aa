import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClassifierManifest, MODEL_FILES, modelFolderFiles, modelFolderLoadHandler } from '@graft/core';
import * as tfc from '@tensorflow/tfjs-core';
import { replaceFolderAtomic } from './atomic.js';

export { MODEL_FILES };

/**
 * A tfjs save handler that writes a model folder on disk atomically (tfjs-node's `file://` without
 * needing tfjs-node): readable by plain `tf.loadLayersModel` over HTTP and by `graft predict`.
 * `extraFiles` go into the same folder in the same atomic step (a checkpoint's training state).
 */
export function folderSaveHandler(
  dir: string,
  manifest?: ClassifierManifest,
  extraFiles: Record<string, string | Uint8Array> = {},
): tfc.io.IOHandler {
  return tfc.io.withSaveHandler(async (artifacts) => {
    const files = modelFolderFiles(artifacts);
    await replaceFolderAtomic(dir, async (temp) => {
      await writeFile(join(temp, MODEL_FILES.weights), files[MODEL_FILES.weights]);
      await writeFile(join(temp, MODEL_FILES.json), files[MODEL_FILES.json]);
      if (manifest)
        await writeFile(join(temp, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
      for (const [name, data] of Object.entries(extraFiles)) await writeFile(join(temp, name), data);
    });
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
