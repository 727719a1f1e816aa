import { elementCount } from '@graft/zoo';
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
  const handler: tfc.io.IOHandler = {
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
      const described = describedBytes(specs);
      if (described !== null && described !== weightData.byteLength)
        throw new Error(
          `${where}: its weight files hold ${weightData.byteLength} bytes but ${MODEL_FILES.json} describes ${described} (a truncated file, or files from different saves)`,
        );
      return tfc.io.getModelArtifactsForJSON(json, async () => [specs, weightData]);
    },
  };
  // named, so that loadClassifier's errors can say which model they are about
  return Object.assign(handler, { location: where });
}

const VALUE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** The bytes a weights manifest describes; null where it cannot say (string weights). */
function describedBytes(specs: readonly tfc.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const bytes = VALUE_BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (bytes === undefined) return null;
    total += elementCount(spec.shape) * bytes;
  }
  return total;
}
