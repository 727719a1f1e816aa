import type { LoadedBackbone, ModelSpec } from '@graft/zoo';
import { preprocess } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { toInputBatch } from '../data/batch.js';
import type { RgbImage } from '../data/image.js';

/** Options of {@link createFeatureExtractor}. */
export interface FeatureExtractorOptions {
  /** Layer whose output is globally average-pooled into the feature vector. Default: the spec's. */
  layer?: string;
  /** `[height, width]` images are resized to. Default: the spec's input size. */
  inputSize?: readonly [number, number];
}

/** Turns images into pooled backbone features. */
export interface FeatureExtractor {
  /** Length of one feature vector. */
  readonly size: number;
  readonly layer: string;
  readonly inputSize: readonly [number, number];
  /** Features of `images`, run `batchSize` at a time. */
  extract(
    images: readonly RgbImage[],
    options?: { batchSize?: number; names?: readonly string[] },
  ): Promise<Float32Array[]>;
  /** Features of a ready `[n, h, w, 3]` pixel batch, as a tensor (caller disposes). */
  extractBatch(pixels: tfc.Tensor4D): tfc.Tensor2D;
}

/**
 * Pooled features from any layer of a backbone: the frozen half of feature extraction, and
 * `graft embed`. Preprocessing and resizing follow the backbone's spec.
 */
export function createFeatureExtractor(
  backbone: Pick<LoadedBackbone, 'model' | 'spec'>,
  options: FeatureExtractorOptions = {},
): FeatureExtractor {
  const spec: ModelSpec = backbone.spec;
  const layerName = options.layer ?? spec.featureLayer;
  let layer: tfl.layers.Layer;
  try {
    layer = backbone.model.getLayer(layerName);
  } catch {
    throw new Error(
      `${spec.id} has no layer named '${layerName}' (e.g. ${spec.featureLayer}, conv4_block6_out)`,
    );
  }
  const probe = tfl.model({ inputs: backbone.model.inputs, outputs: layer.output as tfl.SymbolicTensor });
  const outShape = probe.outputs[0]!.shape;
  const size = outShape[outShape.length - 1] as number;
  const inputSize = options.inputSize ?? spec.inputSize;

  function extractBatch(pixels: tfc.Tensor4D): tfc.Tensor2D {
    return tfc.tidy(() => {
      const out = probe.predict(preprocess(pixels, spec.preprocessing)) as tfc.Tensor;
      return (out.rank === 4 ? tfc.mean(out, [1, 2]) : out) as tfc.Tensor2D;
    });
  }

  return {
    size,
    layer: layerName,
    inputSize,
    extractBatch,
    async extract(images, { batchSize = 8, names } = {}) {
      const out: Float32Array[] = [];
      for (let start = 0; start < images.length; start += batchSize) {
        const batch = toInputBatch(
          images.slice(start, start + batchSize),
          inputSize,
          names?.slice(start, start + batchSize),
        );
        const features = extractBatch(batch);
        batch.dispose();
        const data = (await features.data()) as Float32Array;
        features.dispose();
        for (let i = 0; i < data.length / size; i++) out.push(data.slice(i * size, (i + 1) * size));
      }
      return out;
    },
  };
}
