import { type PreprocessingMode, preprocess, preprocessPixels } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { toInputBatch, toInputPixels } from '../data/batch.js';
import type { RgbImage } from '../data/image.js';
import {
  type AcceleratedRunner,
  type BackboneAccelerator,
  weightsKeyFromIdentity,
  weightsKeyOf,
} from '../features/accelerator.js';

/** What the runner needs to know about the backbone it runs. */
export interface BackboneIdentity {
  /** Registry id of the backbone (`resnet50`). */
  id: string;
  /** `LoadedBackbone.weights.id`, when the weights are as loaded from a known file. */
  weightsId?: string;
  preprocessing: PreprocessingMode;
  inputSize: readonly [number, number];
  /** The layer whose output, globally average-pooled, is the feature vector. */
  featureLayer: string;
}

/** Images to resize (as {@link toInputBatch} does), named for clear errors, or a ready pixel batch. */
export type PixelSource = { images: readonly RgbImage[]; names?: readonly string[] } | tfc.Tensor4D;

/**
 * The one way Graft runs a frozen backbone: on the accelerator's compiled graph when there is one
 * (ONNX Runtime in Node), else on tfjs. The classifier and `createFeatureExtractor` both use it, so
 * a graph compiled by `graft embed` is the one training finds.
 */
export class BackboneRunner {
  /** The backbone up to the feature layer (shared weights). */
  readonly featureModel: tfl.LayersModel;
  /** Runs frozen parts on a faster engine; null keeps everything in tfjs. */
  accelerator: BackboneAccelerator | null = null;
  private readonly compiled = new Map<string, Promise<AcceleratedRunner | null>>();
  /** The weights are no longer the loaded ones (fine-tuned): they are named by their content. */
  private changed = false;

  constructor(
    readonly backbone: tfl.LayersModel,
    readonly identity: BackboneIdentity,
  ) {
    this.featureModel = tfl.model({
      inputs: backbone.inputs,
      outputs: backbone.getLayer(identity.featureLayer).output as tfl.SymbolicTensor,
    });
  }

  /** Length of one pooled feature vector. */
  get featureSize(): number {
    return this.featureModel.outputs[0]!.shape.at(-1) as number;
  }

  /** Whether the weights still are the loaded ones (so cached features and graphs apply). */
  get weightsAsLoaded(): boolean {
    return !this.changed;
  }

  /** From now on the weights train: compiled graphs are dropped and new ones keyed by content. */
  markChanged(): void {
    this.changed = true;
    void this.release();
  }

  /** The accelerated backbone for these outputs, compiled once; null without an accelerator. */
  runnerFor(outputs: string[], mode: 'pooled' | 'nhwc'): Promise<AcceleratedRunner | null> {
    const accelerator = this.accelerator;
    if (!accelerator) return Promise.resolve(null);
    const key = `${mode}:${outputs.join(',')}`;
    let runner = this.compiled.get(key);
    if (!runner) {
      runner = (async () =>
        accelerator.prepare(this.backbone, {
          outputs,
          mode,
          inputSize: this.identity.inputSize,
          weightsKey: await this.weightsKey(outputs),
        }))();
      this.compiled.set(key, runner);
    }
    return runner;
  }

  /** Names the weights: by their file's hash while they are as loaded (no 95 MB hash per run), else by content. */
  private async weightsKey(outputs: readonly string[]): Promise<string> {
    const { id, weightsId } = this.identity;
    const byFile = !this.changed && weightsId ? await weightsKeyFromIdentity(id, weightsId) : null;
    return byFile ?? (await weightsKeyOf(this.backbone, outputs));
  }

  /** The pooled-features runner, when there is an accelerator and images to run. */
  pooledRunner(count: number): Promise<AcceleratedRunner | null> {
    return count > 0 ? this.runnerFor([this.identity.featureLayer], 'pooled') : Promise.resolve(null);
  }

  /**
   * Pooled features of images or of a ready pixel batch (disposed here), one row per image: on the
   * accelerated `runner` when given, fed from JS arrays without tfjs kernels where it can be, else
   * on the tfjs backbone.
   */
  async pooled(source: PixelSource, runner: AcceleratedRunner | null): Promise<Float32Array> {
    const { inputSize, preprocessing } = this.identity;
    if (runner && !(source instanceof tfc.Tensor)) {
      const pixels = preprocessPixels(toInputPixels(source.images, inputSize, source.names), preprocessing);
      return (await runner.run(pixels, source.images.length))[0]!;
    }
    const inputs = tfc.tidy(() =>
      preprocess(
        source instanceof tfc.Tensor ? source : toInputBatch(source.images, inputSize, source.names),
        preprocessing,
      ),
    );
    if (source instanceof tfc.Tensor) source.dispose();
    if (runner) {
      const pixels = (await inputs.data()) as Float32Array;
      const n = inputs.shape[0];
      inputs.dispose();
      return (await runner.run(pixels, n))[0]!;
    }
    const pooled = tfc.tidy(() => poolFeatures(this.featureModel.predict(inputs) as tfc.Tensor));
    inputs.dispose();
    const values = (await pooled.data()) as Float32Array;
    pooled.dispose();
    return values;
  }

  /** Pooled features of `images`, `batchSize` at a time, one array per image. */
  async extract(
    images: readonly RgbImage[],
    { batchSize, names }: { batchSize: number; names?: readonly string[] },
  ): Promise<Float32Array[]> {
    const runner = await this.pooledRunner(images.length);
    const out: Float32Array[] = [];
    for (let start = 0; start < images.length; start += batchSize) {
      const chunk = images.slice(start, start + batchSize);
      const data = await this.pooled(
        { images: chunk, names: names?.slice(start, start + batchSize) },
        runner,
      );
      out.push(...splitRows(data, chunk.length));
    }
    return out;
  }

  /** Frees the compiled graphs; resolves when they are freed. */
  async release(): Promise<void> {
    const runners = [...this.compiled.values()];
    this.compiled.clear();
    await Promise.all(runners.map((runner) => runner.then((r) => r?.dispose()).catch(() => {})));
  }
}

/** Global average pooling of a feature map; a layer that is already flat passes through. */
export function poolFeatures(features: tfc.Tensor): tfc.Tensor2D {
  return (features.rank === 4 ? tfc.mean(features, [1, 2]) : features) as tfc.Tensor2D;
}

/** `n` equal rows of a flat array, as copies. */
export function splitRows(data: Float32Array, n: number): Float32Array[] {
  const size = data.length / n;
  return Array.from({ length: n }, (_, i) => data.slice(i * size, (i + 1) * size));
}
