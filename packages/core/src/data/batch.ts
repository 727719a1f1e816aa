import * as tfc from '@tensorflow/tfjs-core';
import { assertRgbImage, type RgbImage } from './image.js';

/**
 * Stacks images into a `[n, height, width, 3]` float32 batch of pixel values in [0, 255].
 * An image already at the size is used exactly as decoded; others are resized bilinearly with
 * half-pixel centres (what TF 2's `tf.image.resize`, and so Keras's image loading, does).
 */
export function toInputBatch(
  images: readonly RgbImage[],
  size: readonly [number, number],
  names?: readonly string[],
): tfc.Tensor4D {
  const [height, width] = size;
  return tfc.tidy(() => {
    const tensors = images.map((image, i) => {
      assertRgbImage(image, names?.[i] ?? `image ${i}`);
      const t = tfc.tensor3d(Float32Array.from(image.pixels), [image.height, image.width, 3], 'float32');
      if (image.height === height && image.width === width) return t;
      return tfc.image.resizeBilinear(t, [height, width], false, true);
    });
    return tfc.stack(tensors) as tfc.Tensor4D;
  });
}

/**
 * {@link toInputBatch} as one `[n, height, width, 3]` Float32Array, for engines fed from JS arrays
 * (ONNX Runtime): images already at the size are copied without a tfjs kernel; others are resized
 * exactly as `toInputBatch` resizes them.
 */
export function toInputPixels(
  images: readonly RgbImage[],
  size: readonly [number, number],
  names?: readonly string[],
): Float32Array {
  const [height, width] = size;
  const perImage = height * width * 3;
  const out = new Float32Array(images.length * perImage);
  images.forEach((image, i) => {
    assertRgbImage(image, names?.[i] ?? `image ${i}`);
    if (image.height === height && image.width === width) out.set(image.pixels, i * perImage);
    else {
      const resized = toInputBatch([image], size, names ? [names[i]!] : undefined);
      out.set(resized.dataSync(), i * perImage);
      resized.dispose();
    }
  });
  return out;
}
