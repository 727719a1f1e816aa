import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassifierManifest } from '@graft/core';
import * as tfc from '@tensorflow/tfjs-core';
import { replaceFolderAtomic } from './atomic.js';

/** A model folder: `model.json`, `weights.bin`, and `graft.json` (the manifest, for people and tools). */
export const MODEL_FILES = { json: 'model.json', weights: 'weights.bin', manifest: 'graft.json' } as const;

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
    const weights = artifacts.weightData
      ? new Uint8Array(tfc.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]))
      : new Uint8Array(0);
    const modelJson: tfc.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
      ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    };
    await replaceFolderAtomic(dir, async (temp) => {
      await writeFile(join(temp, MODEL_FILES.weights), weights);
      await writeFile(join(temp, MODEL_FILES.json), JSON.stringify(modelJson));
      if (manifest)
        await writeFile(join(temp, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
      for (const [name, data] of Object.entries(extraFiles)) await writeFile(join(temp, name), data);
    });
    return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** A tfjs load handler for a model folder on disk (any number of shards). */
export function folderLoadHandler(dir: string): tfc.io.IOHandler {
  return {
    async load() {
      let json: tfc.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(join(dir, MODEL_FILES.json), 'utf8')) as tfc.io.ModelJSON;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'ENOENT'
            ? `${dir} has no ${MODEL_FILES.json}: not a model folder`
            : `${join(dir, MODEL_FILES.json)} is not valid JSON`,
        );
      }
      const specs: tfc.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const path of group.paths) {
          try {
            buffers.push(new Uint8Array(await readFile(join(dir, path))));
          } catch {
            throw new Error(`${join(dir, path)} is missing: the model folder is incomplete`);
          }
        }
      }
      const weightData = tfc.io.concatenateArrayBuffers(
        buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
      );
      return tfc.io.getModelArtifactsForJSON(json, async () => [specs, weightData]);
    },
  };
}
