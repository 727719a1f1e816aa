import * as tfc from '@tensorflow/tfjs-core';
import type { Random } from '../util/random.js';
import type { RgbImage } from './image.js';

/** Random augmentation, as TF ops, reproducible from a seed. */
export interface AugmentOptions {
  /** Mirror left-right with probability 0.5. Default true. */
  flip?: boolean;
  /** Random resized crop: the crop's area as a fraction of the image, `[min, max]`. Default [0.6, 1]. */
  cropScale?: [number, number];
  /** Crop aspect ratio range (width / height). Default [3/4, 4/3]. */
  cropRatio?: [number, number];
  /** Add up to ± this fraction of 255 to every pixel. Default 0.1. */
  brightness?: number;
  /** Scale the distance from the mean by a factor in 1 ± this. Default 0.1. */
  contrast?: number;
  /**
   * With feature extraction, how many augmented views of each image are made (and their features
   * cached); each epoch uses one of them. Default 4.
   */
  views?: number;
}

export type ResolvedAugment = Required<AugmentOptions>;

export function resolveAugment(options: AugmentOptions | boolean | undefined): ResolvedAugment | null {
  if (!options) return null;
  const o = options === true ? {} : options;
  return {
    flip: o.flip ?? true,
    cropScale: o.cropScale ?? [0.6, 1],
    cropRatio: o.cropRatio ?? [3 / 4, 4 / 3],
    brightness: o.brightness ?? 0.1,
    contrast: o.contrast ?? 0.1,
    views: o.views ?? 4,
  };
}

/** A crop box `[y1, x1, y2, x2]` in [0, 1], x swapped to mirror. */
function randomBox(
  aug: ResolvedAugment,
  rng: Random,
  height: number,
  width: number,
): [number, number, number, number] {
  let box: [number, number, number, number] = [0, 0, 1, 1];
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = rng.uniform(aug.cropScale[0], aug.cropScale[1]);
    const logRatio = rng.uniform(Math.log(aug.cropRatio[0]), Math.log(aug.cropRatio[1]));
    const ratio = Math.exp(logRatio) * (height / width); // in normalised units
    const w = Math.sqrt(area * ratio);
    const h = Math.sqrt(area / ratio);
    if (w <= 1 && h <= 1) {
      const y = rng.uniform(0, 1 - h);
      const x = rng.uniform(0, 1 - w);
      box = [y, x, y + h, x + w];
      break;
    }
  }
  if (aug.flip && rng.next() < 0.5) box = [box[0], box[3], box[2], box[1]];
  return box;
}

/**
 * One augmented view of an image at `size`: random resized crop (with mirroring), brightness and
 * contrast, as pixel values in [0, 255]. Returns `[1, h, w, 3]`.
 */
export function augmentImage(
  image: RgbImage,
  size: readonly [number, number],
  aug: ResolvedAugment,
  rng: Random,
): tfc.Tensor4D {
  const box = randomBox(aug, rng, image.height, image.width);
  const brightness = rng.uniform(-aug.brightness, aug.brightness) * 255;
  const contrast = 1 + rng.uniform(-aug.contrast, aug.contrast);
  return tfc.tidy(() => {
    const x = tfc.tensor4d(Float32Array.from(image.pixels), [1, image.height, image.width, 3]);
    const crop = tfc.image.cropAndResize(x, [box], [0], [size[0], size[1]], 'bilinear');
    const mean = tfc.mean(crop, [1, 2, 3], true);
    const adjusted = tfc.add(tfc.add(tfc.mul(tfc.sub(crop, mean), contrast), mean), brightness);
    return tfc.clipByValue(adjusted, 0, 255) as tfc.Tensor4D;
  });
}
