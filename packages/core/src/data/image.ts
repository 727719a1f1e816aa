/**
 * A decoded image as Graft takes it: RGB values in [0, 255], row-major HWC. Decoding is the host's
 * job. Pixels are bytes as decoded, or floats where the host already resized the image (bilinear
 * resizing gives values between the bytes; rounding them would change the result).
 */
export interface RgbImage {
  pixels: Uint8Array | Float32Array;
  width: number;
  height: number;
}

/** Checks an image's buffer against its size; the message names the image. */
export function assertRgbImage(image: RgbImage, name = 'image'): void {
  if (!(image.width > 0 && image.height > 0)) {
    throw new Error(`${name} is empty (${image.width}×${image.height})`);
  }
  const expected = image.width * image.height * 3;
  if (image.pixels.length !== expected) {
    throw new Error(
      `${name} has ${image.pixels.length} pixel values; ${image.width}×${image.height} RGB needs ${expected}`,
    );
  }
}
