import type { RgbImage } from './image.js';

/**
 * Bilinear resize with half-pixel centres, without align-corners: tfjs's `resizeBilinear` (as
 * `toInputBatch` calls it) in the cpu kernel's own arithmetic, so the result there is the
 * same to the bit (other backends round in float32, a difference of about 1e-7). Only the four
 * source pixels of each output pixel are read: no full-size float copy of a large photo is made.
 */
function resizeBilinear(image: RgbImage, height: number, width: number): Float32Array {
  const { pixels, height: inHeight, width: inWidth } = image;
  const out = new Float32Array(height * width * 3);
  const rowRatio = inHeight / height;
  const colRatio = inWidth / width;
  let o = 0;
  for (let r = 0; r < height; r++) {
    const fracRow = rowRatio * (r + 0.5) - 0.5;
    const top = Math.max(0, Math.floor(fracRow));
    const rowFrac = fracRow - top;
    const bottom = Math.min(inHeight - 1, Math.ceil(fracRow));
    for (let c = 0; c < width; c++) {
      const fracCol = colRatio * (c + 0.5) - 0.5;
      const left = Math.max(0, Math.floor(fracCol));
      const colFrac = fracCol - left;
      const right = Math.min(inWidth - 1, Math.ceil(fracCol));
      const tl = (top * inWidth + left) * 3;
      const tr = (top * inWidth + right) * 3;
      const bl = (bottom * inWidth + left) * 3;
      const br = (bottom * inWidth + right) * 3;
      for (let d = 0; d < 3; d++) {
        const upper = pixels[tl + d]! + (pixels[tr + d]! - pixels[tl + d]!) * colFrac;
        const lower = pixels[bl + d]! + (pixels[br + d]! - pixels[bl + d]!) * colFrac;
        out[o++] = upper + (lower - upper) * rowFrac;
      }
    }
  }
  return out;
}

/**
 * `image` resized to `size` when it has more pixels than `size` holds, else `image` itself: the
 * resize a model's input batch gets (`toInputBatch`), so a model fed the small copy sees
 * what it would have made of the original. Its pixels stay floats, as that resize leaves them,
 * unless `bytes` asks for them rounded (a quarter of the memory, for images augmented anyway).
 */
export function shrinkToFit(
  image: RgbImage,
  size: readonly [number, number],
  options: { bytes?: boolean } = {},
): RgbImage {
  const [height, width] = size;
  if (image.height * image.width <= height * width) return image;
  const floats = resizeBilinear(image, height, width);
  return { pixels: options.bytes ? Uint8Array.from(floats, Math.round) : floats, width, height };
}
