import * as tfc from '@tensorflow/tfjs-core';
import { MODEL_FILES } from './file-names.js';

export { MODEL_FILES };

/** The files of a model folder, in memory: what the CLI writes to disk and the widget zips. */
export interface ModelFolderFiles {
  [MODEL_FILES.json]: string;
  [MODEL_FILES.weights]: Uint8Array;
  /** Present when the model carries a Graft manifest. */
  [MODEL_FILES.manifest]?: string;
}

/**
 * The files of a model folder for saved artifacts (one weights file, so plain
 * `tf.loadLayersModel` over HTTP, `graft predict` and `<graft-trainer>` all read it).
 */
export function modelFolderFiles(artifacts: tfc.io.ModelArtifacts): ModelFolderFiles {
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
  const manifest = (artifacts.userDefinedMetadata as { graft?: unknown } | undefined)?.graft;
  return {
    [MODEL_FILES.json]: JSON.stringify(modelJson),
    [MODEL_FILES.weights]: weights,
    ...(manifest ? { [MODEL_FILES.manifest]: `${JSON.stringify(manifest, null, 2)}\n` } : {}),
  };
}

/**
 * A tfjs load handler over a model folder's files wherever they are (disk, a zip, memory): `read`
 * returns a file's bytes or throws an error that names it.
 */
export function modelFolderLoadHandler(
  read: (path: string) => Promise<Uint8Array>,
  where = 'the model folder',
): tfc.io.IOHandler {
  return {
    async load() {
      let json: tfc.io.ModelJSON;
      const text = new TextDecoder().decode(await read(MODEL_FILES.json));
      try {
        json = JSON.parse(text) as tfc.io.ModelJSON;
      } catch {
        throw new Error(`${where}: ${MODEL_FILES.json} is not valid JSON`);
      }
      if (!json || typeof json !== 'object' || !('modelTopology' in json))
        throw new Error(`${where}: ${MODEL_FILES.json} is not a TF.js layers model (no modelTopology)`);
      const specs: tfc.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const path of group.paths) {
          const bytes = await read(path);
          buffers.push(
            bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
          );
        }
      }
      const weightData = tfc.io.concatenateArrayBuffers(buffers);
      return tfc.io.getModelArtifactsForJSON(json, async () => [specs, weightData]);
    },
  };
}
