/** A decoded image as Graft takes it: 8-bit RGB, row-major HWC. Decoding is the host's job. */
export interface RgbImage {
  pixels: Uint8Array;
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
      `${name} has ${image.pixels.length} bytes of pixels; ${image.width}×${image.height} RGB needs ${expected}`,
    );
  }
}
