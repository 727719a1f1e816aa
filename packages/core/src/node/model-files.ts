import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfc from '@tensorflow/tfjs-core';
import { MODEL_FILES, modelFolderFiles, modelFolderLoadHandler } from '../io/model-folder.js';

const FILE_SCHEME = 'file://';

/** `file:///abs/dir`, `file://rel/dir` (as tfjs-node takes it) or a plain path → a folder path. */
function folderOf(url: string): string {
  if (!url.startsWith(FILE_SCHEME)) return resolve(url);
  return url.startsWith('file:///') ? fileURLToPath(url) : resolve(url.slice(FILE_SCHEME.length));
}

/**
 * A tfjs save handler that writes a model folder (`model.json`, `weights.bin`, and `graft.json`
 * for a Graft classifier) on disk, atomically: the files go to a temporary folder that replaces
 * `dir` at once, so an interrupted save never leaves a half-written model under its name.
 */
export function fileSaveHandler(dir: string): tfc.io.IOHandler {
  const target = folderOf(dir);
  return tfc.io.withSaveHandler(async (artifacts) => {
    const files = modelFolderFiles(artifacts);
    const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
    const old = `${target}.old-${process.pid}-${Date.now()}`;
    await mkdir(temp, { recursive: true });
    try {
      for (const [name, data] of Object.entries(files)) await writeFile(join(temp, name), data);
      await mkdir(dirname(target), { recursive: true });
      const hadOne = await rename(target, old).then(
        () => true,
        () => false,
      );
      await rename(temp, target);
      if (hadOne) await rm(old, { recursive: true, force: true });
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw new Error(`cannot save the model to ${target}: ${(err as Error).message}`);
    }
    return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** A tfjs load handler for a model folder on disk; a missing file is named. */
export function fileLoadHandler(dir: string): tfc.io.IOHandler {
  const folder = folderOf(dir);
  return modelFolderLoadHandler(async (path) => {
    try {
      return new Uint8Array(await readFile(join(folder, path)));
    } catch {
      throw new Error(
        path === MODEL_FILES.json
          ? `${folder} has no ${MODEL_FILES.json}: not a model folder`
          : `${join(folder, path)} is missing: the model folder is incomplete`,
      );
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
