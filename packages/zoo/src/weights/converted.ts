import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { PreprocessingMode } from '../preprocess.js';
import { sha256Hex } from './digest.js';

/** Name of Graft's manifest next to `model.json` in a converted model folder. */
export const CONVERTED_MANIFEST_FILE = 'graft-backbone.json';
/** Name of the TF.js layers topology + weights manifest. */
export const MODEL_JSON_FILE = 'model.json';
const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

/**
 * What Graft writes beside a TF.js layers model (`model.json` + binary shards) so that a later
 * load knows what it is and can check every byte.
 */
export interface ConvertedManifest {
  format: 'graft-backbone';
  formatVersion: 1;
  /** Zoo id, e.g. `resnet50`. */
  model: string;
  includeTop: boolean;
  inputShape: (number | null)[];
  preprocessing: PreprocessingMode;
  /** Where the weights came from (file name and its hash) — identifies the weights. */
  source: { fileName: string; md5?: string; sha256?: string };
  /** Every weight shard with its size and SHA-256. */
  shards: { path: string; bytes: number; sha256: string }[];
  createdBy: string;
}

/** A converted model held in memory: what is written to disk or served over HTTP. */
export interface ConvertedFiles {
  modelJson: tfc.io.ModelJSON;
  manifest: ConvertedManifest;
  shards: Map<string, Uint8Array>;
}

/** Reads the files of a converted model folder, wherever it lives (disk, HTTP, Cache Storage). */
export interface ConvertedReader {
  /** Where it is, for messages. */
  location: string;
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
}

/** A converted copy failed its check: a shard is missing, has the wrong size or the wrong hash. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/**
 * Serialises a model into TF.js layers format (loadable by plain `tf.loadLayersModel`) with a
 * SHA-256 per shard in the Graft manifest.
 */
export async function convertModel(
  model: tfl.LayersModel,
  meta: Omit<ConvertedManifest, 'format' | 'formatVersion' | 'shards' | 'createdBy' | 'inputShape'>,
  createdBy: string,
  shardBytes = DEFAULT_SHARD_BYTES,
): Promise<ConvertedFiles> {
  let artifacts: tfc.io.ModelArtifacts | undefined;
  await model.save(
    tfc.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('model.save produced no weights');
  const all = new Uint8Array(
    tfc.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]),
  );
  const count = Math.max(1, Math.ceil(all.byteLength / shardBytes));
  const shards = new Map<string, Uint8Array>();
  const shardInfo: ConvertedManifest['shards'] = [];
  for (let i = 0; i < count; i++) {
    const path = `group1-shard${i + 1}of${count}.bin`;
    const data = all.subarray(i * shardBytes, Math.min(all.byteLength, (i + 1) * shardBytes));
    shards.set(path, data);
    shardInfo.push({ path, bytes: data.byteLength, sha256: await sha256Hex(data) });
  }
  const inputShape = (model.inputs[0]?.shape ?? []).slice(1);
  const modelJson: tfc.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: createdBy,
    weightsManifest: [{ paths: [...shards.keys()], weights: artifacts.weightSpecs }],
  };
  const manifest: ConvertedManifest = {
    format: 'graft-backbone',
    formatVersion: 1,
    ...meta,
    inputShape,
    shards: shardInfo,
    createdBy,
  };
  return { modelJson, manifest, shards };
}

/**
 * A JSON file of a converted folder. A web page in its place (a server's or a dev server's
 * fallback for a file it does not have) is named as such, not as a JSON syntax error.
 */
async function readJsonFile(reader: ConvertedReader, name: string): Promise<unknown> {
  const text = await reader.readText(name);
  if (/^\s*</.test(text))
    throw new IntegrityError(
      `${reader.location}/${name} is a web page, not the file: nothing is served at that URL. In an app bundled with Vite or webpack, import '@graft/zoo/demo-assets' once for the bundled demo backbone, or serve a graft zoo export folder and pass modelUrl`,
    );
  return JSON.parse(text);
}

/** Reads and checks a converted model's manifest. */
export async function readConvertedManifest(reader: ConvertedReader): Promise<ConvertedManifest> {
  let manifest: ConvertedManifest;
  try {
    manifest = (await readJsonFile(reader, CONVERTED_MANIFEST_FILE)) as ConvertedManifest;
  } catch (err) {
    if (err instanceof IntegrityError) throw err;
    throw new IntegrityError(`${reader.location}: cannot read ${CONVERTED_MANIFEST_FILE}: ${errorText(err)}`);
  }
  if (
    manifest.format !== 'graft-backbone' ||
    manifest.formatVersion !== 1 ||
    !Array.isArray(manifest.shards)
  ) {
    throw new IntegrityError(
      `${reader.location}/${CONVERTED_MANIFEST_FILE} is not a Graft backbone manifest of format version 1`,
    );
  }
  return manifest;
}

/**
 * Loads the weights of a converted model into `model` (built by the zoo with the same layers),
 * matching by weight name, after checking each shard's size and SHA-256 (and, with
 * `expectedShards`, that the folder holds exactly the shards a zoo entry pins).
 */
export async function loadConvertedWeights(
  model: tfl.LayersModel,
  reader: ConvertedReader,
  expectedShards?: readonly { path: string; sha256: string }[],
): Promise<ConvertedManifest> {
  const manifest = await readConvertedManifest(reader);
  if (expectedShards) {
    const pinned = expectedShards.map((s) => `${s.path}:${s.sha256}`).join(',');
    const found = manifest.shards.map((s) => `${s.path}:${s.sha256}`).join(',');
    if (pinned !== found) {
      throw new IntegrityError(
        `${reader.location} holds other weights than the zoo entry pins (shards ${found}, expected ${pinned})`,
      );
    }
  }
  let modelJson: tfc.io.ModelJSON;
  try {
    modelJson = (await readJsonFile(reader, MODEL_JSON_FILE)) as tfc.io.ModelJSON;
  } catch (err) {
    if (err instanceof IntegrityError) throw err;
    throw new IntegrityError(`${reader.location}: cannot read ${MODEL_JSON_FILE}: ${errorText(err)}`);
  }
  const group = modelJson.weightsManifest?.[0];
  if (!group) throw new IntegrityError(`${reader.location}/${MODEL_JSON_FILE} has no weightsManifest`);
  const parts: Uint8Array[] = [];
  for (const path of group.paths) {
    const expected = manifest.shards.find((s) => s.path === path);
    if (!expected)
      throw new IntegrityError(
        `${reader.location}: shard ${path} is not listed in ${CONVERTED_MANIFEST_FILE}`,
      );
    let data: Uint8Array;
    try {
      data = await reader.readBytes(path);
    } catch (err) {
      throw new IntegrityError(`${reader.location}: shard ${path} is missing: ${errorText(err)}`);
    }
    if (data.byteLength !== expected.bytes) {
      throw new IntegrityError(
        `${reader.location}: shard ${path} has ${data.byteLength} bytes, expected ${expected.bytes} (truncated?)`,
      );
    }
    const actual = await sha256Hex(data);
    if (actual !== expected.sha256) {
      throw new IntegrityError(
        `${reader.location}: shard ${path} has sha256 ${actual}, expected ${expected.sha256} (corrupt)`,
      );
    }
    parts.push(data);
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.byteLength;
  }
  const named = tfc.io.decodeWeights(joined.buffer, group.weights);
  try {
    setWeightsByName(model, named, reader.location);
  } finally {
    tfc.dispose(Object.values(named));
  }
  return manifest;
}

/** Sets every weight of `model` from a name → tensor map (names as tf.layers saves them). */
export function setWeightsByName(model: tfl.LayersModel, named: tfc.NamedTensorMap, location: string): void {
  const missing: string[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => {
      const t = named[w.originalName];
      if (!t) missing.push(w.originalName);
      else if (!tfc.util.arraysEqual(t.shape, w.shape as number[])) {
        throw new IntegrityError(
          `${location}: weight ${w.originalName} has shape [${t.shape.join(', ')}], the model expects [${w.shape.join(', ')}]`,
        );
      }
      return t;
    });
    if (missing.length === 0) layer.setWeights(values as tfc.Tensor[]);
  }
  if (missing.length > 0) {
    throw new IntegrityError(
      `${location} lacks ${missing.length} weight(s) the model needs, e.g. ${missing.slice(0, 3).join(', ')}`,
    );
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
