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
