import { readFile, stat } from 'node:fs/promises';
import type SharpConstructor from 'sharp';

/** A decoded image: 8-bit RGB, row-major HWC, as @graft/core takes it. */
export interface DecodedImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/** Images larger than this many pixels are refused (a decompression bomb guard). */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

let sharpLoading: Promise<typeof SharpConstructor> | undefined;

/** sharp, an optional peer dependency: only image decoding in Node needs it. */
function loadSharp(): Promise<typeof SharpConstructor> {
  sharpLoading ??= import('sharp').then(
    (m) => m.default,
    (err) => {
      sharpLoading = undefined;
      throw new Error(
        `decoding image files in Node needs the package 'sharp' (npm install sharp): ${err instanceof Error ? err.message : String(err)}`,
      );
    },
  );
  return sharpLoading;
}

/** An image file that cannot be used; the message names the file and the problem. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/**
 * Decodes JPEG, PNG, WebP, GIF (first frame), TIFF, AVIF with sharp: EXIF orientation applied,
 * grayscale, CMYK and 16-bit converted to 8-bit sRGB, alpha dropped (as PIL's convert('RGB') in
 * Keras `load_img`). Resizing is left to the classifier, so an image already at the input size is used
 * exactly as decoded.
 */
export async function decodeImageFile(file: string, pixelLimit = DEFAULT_PIXEL_LIMIT): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new ImageDecodeError(file, 'is a folder, not an image');
    if (info.size === 0) throw new ImageDecodeError(file, 'is empty (0 bytes)');
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err);
    throw new ImageDecodeError(file, reason);
  }
  return decodeImageBytes(bytes, file, pixelLimit);
}

/** Decodes image bytes; `name` is used in error messages. */
export async function decodeImageBytes(
  bytes: Uint8Array,
  name: string,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<DecodedImage> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: pixelLimit, pages: 1, failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3)
      throw new ImageDecodeError(name, `decoded to ${info.channels} channels, expected RGB`);
    return {
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message))
      throw new ImageDecodeError(name, `is larger than the limit of ${pixelLimit} pixels`);
    if (/unsupported image format/i.test(message))
      throw new ImageDecodeError(
        name,
        'is not an image in a format graft reads (JPEG, PNG, WebP, GIF, TIFF, AVIF)',
      );
    throw new ImageDecodeError(name, `cannot be decoded (corrupt or truncated?): ${message}`);
  }
}

/**
 * A small PNG of an image file as a data URL (EXIF orientation applied, at most `size` pixels a
 * side), for reports; null when the file cannot be read.
 */
export async function imageThumbnail(file: string, size = 96): Promise<string | null> {
  const sharp = await loadSharp();
  try {
    const png = await sharp(file).rotate().resize(size, size, { fit: 'inside' }).png().toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch {
    return null;
  }
}
