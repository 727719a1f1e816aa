import * as tfc from '@tensorflow/tfjs-core';

/**
 * How a model wants its pixels, as Keras `imagenet_utils.preprocess_input` modes:
 * - `caffe`: RGB → BGR, subtract the ImageNet means [103.939, 116.779, 123.68] (B, G, R), no scaling
 *   (ResNet50, VGG);
 * - `tf`: scale to [-1, 1] (MobileNet, Inception);
 * - `torch`: scale to [0, 1], then normalise each RGB channel by the ImageNet mean and std.
 */
export type PreprocessingMode = 'caffe' | 'tf' | 'torch';

/** ImageNet channel means in BGR order, as Keras's 'caffe' mode subtracts them. */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/**
 * Turns RGB pixel values in [0, 255] (`[h, w, 3]` or `[n, h, w, 3]`, any dtype) into a model's
 * input, exactly as Keras `preprocess_input` does for `mode`.
 */
export function preprocess<T extends tfc.Tensor3D | tfc.Tensor4D>(
  image: T,
  mode: PreprocessingMode = 'caffe',
): T {
  if (image.shape[image.rank - 1] !== 3) {
    throw new Error(
      `preprocess expects RGB images with 3 channels last, got shape [${image.shape.join(', ')}]`,
    );
  }
  return tfc.tidy(() => {
    const x = tfc.cast(image, 'float32');
    switch (mode) {
      case 'caffe': {
        const bgr = tfc.reverse(x, -1);
        return tfc.sub(bgr, tfc.tensor1d(CAFFE_MEAN_BGR as unknown as number[]));
      }
      case 'tf':
        return tfc.sub(tfc.div(x, 127.5), 1);
      case 'torch':
        return tfc.div(tfc.sub(tfc.div(x, 255), tfc.tensor1d(TORCH_MEAN)), tfc.tensor1d(TORCH_STD));
      default:
        throw new Error(`unknown preprocessing mode ${String(mode)}`);
    }
  }) as T;
}

/**
 * {@link preprocess} in plain JS, in place, on `[…, 3]` RGB values in a Float32Array: the same
 * float32 arithmetic to the bit (tested), for engines fed from JS arrays (ONNX Runtime) without
 * a round trip through tfjs kernels.
 */
export function preprocessPixels(pixels: Float32Array, mode: PreprocessingMode = 'caffe'): Float32Array {
  if (pixels.length % 3 !== 0)
    throw new Error(`preprocessPixels expects RGB values (a multiple of 3), got ${pixels.length}`);
  const f = Math.fround;
  switch (mode) {
    case 'caffe': {
      const [b, g, r] = CAFFE_MEAN_BGR.map(f) as [number, number, number];
      for (let i = 0; i < pixels.length; i += 3) {
        const red = pixels[i]!;
        pixels[i] = pixels[i + 2]! - b;
        pixels[i + 1] = pixels[i + 1]! - g;
        pixels[i + 2] = red - r;
      }
      return pixels;
    }
    case 'tf':
      for (let i = 0; i < pixels.length; i++) pixels[i] = f(pixels[i]! / 127.5) - 1;
      return pixels;
    case 'torch': {
      const mean = TORCH_MEAN.map(f);
      const std = TORCH_STD.map(f);
      for (let i = 0; i < pixels.length; i++) pixels[i] = f(f(pixels[i]! / 255) - mean[i % 3]!) / std[i % 3]!;
      return pixels;
    }
    default:
      throw new Error(`unknown preprocessing mode ${String(mode)}`);
  }
}
