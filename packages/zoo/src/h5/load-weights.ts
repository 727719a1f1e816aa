import * as tfc from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  type KerasWeightFile,
  legacyResNet50Reason,
  readKerasWeightFile,
  shortWeightName,
  WeightFileError,
} from './keras-h5.js';

/** Names the top classifier has had in Keras weight files; matched to each other, never by position. */
const TOP_LAYER_ALIASES = ['predictions', 'probs'];
/** Layers a with-top file has that a model built without the top does not need. */
const TOP_ONLY_LAYERS = new Set(['avg_pool', ...TOP_LAYER_ALIASES]);

/** What {@link loadWeightsFromKerasH5} did. */
export interface KerasLoadReport {
  /** Layers whose weights were set. */
  loadedLayers: number;
  /** Weight tensors set. */
  loadedWeights: number;
  /** File layers with weights the model has no use for (a with-top file into a model without top). */
  ignoredLayers: string[];
}

function fileLayerFor(file: KerasWeightFile, layerName: string, isTop: boolean): string | undefined {
  if (file.weights.has(layerName) && (file.weights.get(layerName)?.length ?? 0) > 0) return layerName;
  if (isTop && TOP_LAYER_ALIASES.includes(layerName)) {
    return TOP_LAYER_ALIASES.find((alias) => (file.weights.get(alias)?.length ?? 0) > 0);
  }
  return undefined;
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Sets a model's weights from a Keras 2 HDF5 weight file, matching layers by name and weights by
 * their `weight_names` (never by position: in `conv2_block1` the shortcut and the last residual
 * conv have the same shape, and a positional loader swaps them silently).
 *
 * Refuses, naming the file and the problem: the old fchollet/deep-learning-models ResNet50 file,
 * a file for another architecture, a layer the model needs that the file lacks, and any shape
 * mismatch (with both shapes). Nothing is set unless everything fits.
 *
 * @param model a model built by the zoo (e.g. `buildResNet50`)
 * @param source the file's bytes, or a file already read by `readKerasWeightFile`
 */
export function loadWeightsFromKerasH5(
  model: LayersModel,
  source: ArrayBuffer | Uint8Array | KerasWeightFile,
  fileName = 'weights.h5',
): KerasLoadReport {
  const file = toWeightFile(source, fileName);
  const legacy = legacyResNet50Reason(file);
  if (legacy) throw new WeightFileError(legacy, file.fileName);

  const layersWithWeights = model.layers.filter((l) => l.weights.length > 0);
  const topLayer = model.layers[model.layers.length - 1];
  const assignments: { layerName: string; values: { shape: number[]; data: Float32Array }[] }[] = [];
  const missing: string[] = [];
  const used = new Set<string>();

  for (const layer of layersWithWeights) {
    const fileLayer = fileLayerFor(file, layer.name, layer === topLayer);
    if (fileLayer === undefined) {
      missing.push(layer.name);
      continue;
    }
    used.add(fileLayer);
    const stored = file.weights.get(fileLayer) ?? [];
    const byShortName = new Map(stored.map((w) => [shortWeightName(w.name), w]));
    if (stored.length !== layer.weights.length) {
      throw new WeightFileError(
        `${file.fileName}: layer ${layer.name} has ${layer.weights.length} weights in the model ` +
          `(${layer.weights.map((w) => shortWeightName(w.originalName)).join(', ')}) but ${stored.length} in the file ` +
          `(${stored.map((w) => w.name).join(', ') || 'none'})`,
        file.fileName,
      );
    }
    const values = layer.weights.map((variable) => {
      const short = shortWeightName(variable.originalName);
      const w = byShortName.get(short);
      if (!w) {
        throw new WeightFileError(
          `${file.fileName}: layer ${fileLayer} has no weight named ${short} (it has ${stored.map((s) => s.name).join(', ')})`,
          file.fileName,
        );
      }
      const expected = variable.shape;
      if (expected.length !== w.shape.length || expected.some((dim, i) => dim !== w.shape[i])) {
        throw new WeightFileError(
          `${file.fileName}: shape mismatch for ${layer.name} ${short}: the model expects ${shapeText(expected)}, ` +
            `the file has ${shapeText(w.shape)} (${w.name})`,
          file.fileName,
        );
      }
      return { shape: w.shape, data: w.values };
    });
    assignments.push({ layerName: layer.name, values });
  }

  const modelHasTop = TOP_LAYER_ALIASES.includes(topLayer?.name ?? '');
  const ignoredLayers: string[] = [];
  const extra: string[] = [];
  for (const [name, ws] of file.weights) {
    if (ws.length === 0 || used.has(name)) continue;
    if (!modelHasTop && TOP_ONLY_LAYERS.has(name)) ignoredLayers.push(name);
    else extra.push(name);
  }

  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) {
      const onlyTop = missing.length === 1 && missing[0] === topLayer?.name;
      parts.push(
        onlyTop
          ? `it has no top classifier layer (${TOP_LAYER_ALIASES.join(' or ')}): it is a no-top file; build the model with includeTop: false or use the file with the top`
          : `it lacks ${missing.length} layer(s) the model needs: ${listSome(missing)}`,
      );
    }
    if (extra.length > 0)
      parts.push(`it has ${extra.length} layer(s) the model does not: ${listSome(extra)}`);
    throw new WeightFileError(
      `${file.fileName} does not fit ${model.name} (${layersWithWeights.length} layers with weights): ${parts.join('; ')}. ` +
        'Is it a weight file for another architecture?',
      file.fileName,
    );
  }

  let loadedWeights = 0;
  for (const { layerName, values } of assignments) {
    const tensors = values.map((v) => tfc.tensor(v.data, v.shape, 'float32'));
    model.getLayer(layerName).setWeights(tensors);
    tfc.dispose(tensors);
    loadedWeights += tensors.length;
  }
  return { loadedLayers: assignments.length, loadedWeights, ignoredLayers };
}

function toWeightFile(source: ArrayBuffer | Uint8Array | KerasWeightFile, fileName: string): KerasWeightFile {
  if (source instanceof ArrayBuffer) return readKerasWeightFile(source, fileName);
  if (source instanceof Uint8Array) {
    const copy = source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength) as ArrayBuffer;
    return readKerasWeightFile(copy, fileName);
  }
  return source;
}

function listSome(names: string[]): string {
  return names.length <= 6
    ? names.join(', ')
    : `${names.slice(0, 6).join(', ')}, … (${names.length - 6} more)`;
}
