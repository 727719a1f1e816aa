import type { LoadedBackbone, ModelSpec } from '@graft/zoo';
import { preprocess } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { toInputBatch } from '../data/batch.js';
import type { RgbImage } from '../data/image.js';
import { type AcceleratedRunner, type BackboneAccelerator, weightsKeyOf } from './accelerator.js';

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
  /** Features of a ready `[n, h, w, 3]` pixel batch, as a tensor (caller disposes); always tfjs. */
  extractBatch(pixels: tfc.Tensor4D): tfc.Tensor2D;
  /** Frees what the accelerator compiled. */
  dispose(): Promise<void>;
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

  let runner: Promise<AcceleratedRunner | null> | null = null;
  const accelerated = () => {
    const accelerator = options.accelerator;
    if (!accelerator) return Promise.resolve(null);
    runner ??= weightsKeyOf(backbone.model, [layerName]).then((weightsKey) =>
      accelerator.prepare(probe, { outputs: [layerName], mode: 'pooled', inputSize, weightsKey }),
    );
    return runner;
  };

  return {
    size,
    layer: layerName,
    inputSize,
    extractBatch,
    async extract(images, { batchSize = 8, names } = {}) {
      const out: Float32Array[] = [];
      const fast = await accelerated();
      for (let start = 0; start < images.length; start += batchSize) {
        const batch = toInputBatch(
          images.slice(start, start + batchSize),
          inputSize,
          names?.slice(start, start + batchSize),
        );
        let data: Float32Array;
        if (fast) {
          const x = tfc.tidy(() => preprocess(batch, spec.preprocessing));
          batch.dispose();
          const pixels = (await x.data()) as Float32Array;
          x.dispose();
          data = (await fast.run(pixels, batch.shape[0]))[0]!;
        } else {
          const features = extractBatch(batch);
          batch.dispose();
          data = (await features.data()) as Float32Array;
          features.dispose();
        }
        for (let i = 0; i < data.length / size; i++) out.push(data.slice(i * size, (i + 1) * size));
      }
      return out;
    },
    async dispose() {
      const r = await runner;
      runner = null;
      await r?.dispose();
    },
  };
}
