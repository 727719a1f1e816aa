import type { LoadedBackbone, ModelSpec } from '@graft/zoo';
import { preprocess, preprocessPixels } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { toInputPixels } from '../data/batch.js';
import type { RgbImage } from '../data/image.js';
import {
  type AcceleratedRunner,
  type BackboneAccelerator,
  weightsKeyFromIdentity,
} from '../features/accelerator.js';
import { BackboneRunner, poolFeatures, splitRows } from './backbone-runner.js';

/** Options of {@link createFeatureExtractor}. */
export interface FeatureExtractorOptions {
  /** Layer whose output is globally average-pooled into the feature vector. Default: the spec's. */
  layer?: string;
  /** `[height, width]` images are resized to. Default: the spec's input size. */
  inputSize?: readonly [number, number];
  /** Run the backbone on a faster engine (ONNX Runtime in Node) for `extract`. */
  accelerator?: BackboneAccelerator | null;
}

/** Turns images into pooled backbone features. */
export interface ImageEmbedder {
  readonly layer: string;
  readonly inputSize: readonly [number, number];
  /** Features of `images`, run `batchSize` at a time. */
  extract(
    images: readonly RgbImage[],
    options?: { batchSize?: number; names?: readonly string[] },
  ): Promise<Float32Array[]>;
  /** Frees what the accelerator compiled. */
  dispose(): Promise<void>;
}

/** An {@link ImageEmbedder} over a tfjs backbone. */
export interface FeatureExtractor extends ImageEmbedder {
  /** Length of one feature vector. */
  readonly size: number;
  /** Features of a ready `[n, h, w, 3]` pixel batch, as a tensor (caller disposes); always tfjs. */
  extractBatch(pixels: tfc.Tensor4D): tfc.Tensor2D;
}

/** Features of `images` on an accelerated runner, fed from JS arrays. */
async function extractOnRunner(
  runner: AcceleratedRunner,
  spec: ModelSpec,
  inputSize: readonly [number, number],
  images: readonly RgbImage[],
  { batchSize = 8, names }: { batchSize?: number; names?: readonly string[] },
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const pixels = preprocessPixels(
      toInputPixels(chunk, inputSize, names?.slice(start, start + batchSize)),
      spec.preprocessing,
    );
    out.push(...splitRows((await runner.run(pixels, chunk.length))[0]!, chunk.length));
  }
  return out;
}

/** Options of {@link openCachedFeatureExtractor}. */
export interface CachedFeatureExtractorOptions {
  /** The accelerator whose cache holds the compiled backbone. */
  accelerator: BackboneAccelerator;
  /** `LoadedBackbone.weights.id` of the weights it was compiled from. */
  weightsId: string;
  layer?: string;
  inputSize?: readonly [number, number];
}

/**
 * Feature extraction with no tfjs model at all: runs the backbone that an earlier
 * {@link createFeatureExtractor} compiled on `accelerator` (same model, weights, layer and size)
 * straight from the accelerator's cache, so the model is neither built nor loaded — `graft embed`
 * starts in a fraction of the time. Null when that graph is not cached (load the backbone then).
 */
export async function openCachedFeatureExtractor(
  spec: ModelSpec,
  options: CachedFeatureExtractorOptions,
): Promise<ImageEmbedder | null> {
  if (!options.accelerator.open) return null;
  const layer = options.layer ?? spec.featureLayer;
  const inputSize = options.inputSize ?? spec.inputSize;
  const weightsKey = await weightsKeyFromIdentity(spec.id, options.weightsId);
  if (!weightsKey) return null;
  const runner = await options.accelerator.open({ outputs: [layer], mode: 'pooled', inputSize, weightsKey });
  if (!runner) return null;
  return {
    layer,
    inputSize,
    extract: (images, extractOptions = {}) =>
      extractOnRunner(runner, spec, inputSize, images, extractOptions),
    dispose: async () => runner.dispose(),
  };
}

/**
 * Pooled features from any layer of a backbone: the frozen half of feature extraction, and
 * `graft embed`. Preprocessing and resizing follow the backbone's spec; it runs on the same
 * {@link BackboneRunner} as the classifier.
 */
export function createFeatureExtractor(
  backbone: Pick<LoadedBackbone, 'model' | 'spec'> & { weights?: LoadedBackbone['weights'] },
  options: FeatureExtractorOptions = {},
): FeatureExtractor {
  const spec: ModelSpec = backbone.spec;
  const layerName = options.layer ?? spec.featureLayer;
  try {
    backbone.model.getLayer(layerName);
  } catch {
    const hint = [spec.featureLayer, spec.fineTune?.defaultFreeze].filter(Boolean).join(', ');
    throw new Error(`${spec.id} has no layer named '${layerName}' (e.g. ${hint})`);
  }
  const inputSize = options.inputSize ?? spec.inputSize;
  const runner = new BackboneRunner(backbone.model, {
    id: spec.id,
    weightsId: backbone.weights?.id,
    preprocessing: spec.preprocessing,
    inputSize,
    featureLayer: layerName,
  });
  runner.accelerator = options.accelerator ?? null;
  const size = runner.featureSize;

  function extractBatch(pixels: tfc.Tensor4D): tfc.Tensor2D {
    return tfc.tidy(() =>
      poolFeatures(runner.featureModel.predict(preprocess(pixels, spec.preprocessing)) as tfc.Tensor),
    );
  }

  return {
    size,
    layer: layerName,
    inputSize,
    extractBatch,
    extract: (images, { batchSize = 8, names } = {}) => runner.extract(images, { batchSize, names }),
    dispose: () => runner.release(),
  };
}
