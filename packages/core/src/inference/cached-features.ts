import { sha256Hex } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { augmentImage, type ResolvedAugment } from '../data/augment.js';
import type { Example } from '../data/dataset.js';
import type { RgbImage } from '../data/image.js';
import { type FeatureCache, featureKey } from '../features/cache.js';
import { hashSeed } from '../util/hash-seed.js';
import { Random } from '../util/random.js';
import type { BackboneIdentity, BackboneRunner } from './backbone-runner.js';

/** Pooled features of a set of examples: `views` blocks of one row per example. */
export interface ExampleFeatures {
  views: number;
  data: Float32Array;
}

/** Counters of the work {@link cachedFeatures} did and did not repeat. */
export interface FeatureCounters {
  backboneImages: number;
  featureCacheHits: number;
}

/** What names an image's pixels in feature keys: their sha256 and size. */
export async function imageContentHash(image: RgbImage): Promise<string> {
  const { pixels } = image;
  const digest = await sha256Hex(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
  return `${digest}:${image.width}x${image.height}`;
}

/**
 * The feature-cache key of one view of an image (`original`, or an augmented view): what
 * {@link cachedFeatures} stores under, and what a merged embed lists for each file.
 */
export function viewFeatureKey(
  identity: Pick<BackboneIdentity, 'id' | 'preprocessing' | 'inputSize' | 'featureLayer'>,
  weightsId: string,
  contentHash: string,
  view = 'original',
): string {
  const { id, preprocessing, inputSize, featureLayer } = identity;
  return featureKey({
    contentHash,
    backbone: id,
    weights: weightsId,
    preprocessing,
    inputSize,
    layer: featureLayer,
    view,
  });
}

/**
 * Pooled features of each example (per augmented view), from `cache` where it has them and from
 * the backbone otherwise, which are then cached — unless the weights are no longer the loaded ones,
 * when nothing is read from or written to the cache.
 */
export async function cachedFeatures(
  runner: BackboneRunner,
  cache: FeatureCache,
  weightsId: string,
  counters: FeatureCounters,
  examples: readonly Example[],
  aug: ResolvedAugment | null,
  seed: number,
  onProgress?: (done: number, total: number) => void | Promise<void>,
): Promise<ExampleFeatures> {
  const { inputSize } = runner.identity;
  const usable = runner.weightsAsLoaded;
  const views = aug ? aug.views : 1;
  const f = runner.featureSize;
  const data = new Float32Array(views * examples.length * f);
  const augTag = aug ? `aug:${JSON.stringify(aug)}:seed${seed}` : 'original';
  const missing: { row: number; example: Example; key: string }[] = [];
  for (let i = 0; i < examples.length; i++) {
    const e = examples[i]!;
    const pixelless = e.pixels.length === 0;
    if (pixelless && (aug || !usable))
      throw new Error(
        `${e.id} comes with its features only, not its pixels: ${aug ? 'augmentation' : 'a backbone that trains'} needs the image`,
      );
    const contentHash = pixelless ? '' : await imageContentHash(e);
    for (let v = 0; v < views; v++) {
      const key =
        (!aug && e.featureKey) ||
        viewFeatureKey(runner.identity, weightsId, contentHash, aug ? `${augTag}:v${v}` : 'original');
      const cached = usable ? await cache.get(key) : undefined;
      const row = v * examples.length + i;
      if (cached && cached.length === f) {
        data.set(cached, row * f);
        counters.featureCacheHits++;
      } else if (pixelless)
        throw new Error(
          `${e.id}: its features (key ${key}) are not in the feature cache, and it has no pixels to compute them`,
        );
      else missing.push({ row, example: e, key });
    }
  }
  const accelerated = await runner.pooledRunner(missing.length);
  const batchSize = accelerated ? 32 : 16;
  for (let start = 0; start < missing.length; start += batchSize) {
    const chunk = missing.slice(start, start + batchSize);
    const source = aug
      ? tfc.tidy(
          () =>
            tfc.concat(
              chunk.map((m) => augmentImage(m.example, inputSize, aug, new Random(hashSeed(m.key)))),
              0,
            ) as tfc.Tensor4D,
        )
      : { images: chunk.map((m) => m.example), names: chunk.map((m) => m.example.id) };
    const values = await runner.pooled(source, accelerated);
    counters.backboneImages += chunk.length;
    await onProgress?.(start + chunk.length, missing.length);
    for (let j = 0; j < chunk.length; j++) {
      const vec = values.slice(j * f, (j + 1) * f);
      data.set(vec, chunk[j]!.row * f);
      if (usable) await cache.set(chunk[j]!.key, vec);
    }
  }
  return { views, data };
}
