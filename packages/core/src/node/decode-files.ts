import { createHash } from 'node:crypto';
import type { RgbImage } from '../data/image.js';
import { shrinkToFit } from '../data/shrink.js';
import { decodeImageFile, ImageDecodeError } from './decode-image.js';

/** Images decoded from files: the good ones (with their position in the input), and the bad ones. */
export interface DecodedFiles {
  /** `sha256` (with `hash: true`) is of the pixels as decoded, before any resizing. */
  images: { file: string; index: number; image: RgbImage; sha256?: string }[];
  skipped: { file: string; reason: string }[];
}

/** How to decode many files. */
export interface DecodeFilesOptions {
  /** Images larger than this many pixels are refused (default: 100 million). */
  pixelLimit?: number;
  /** Called for each bad file before it is skipped; may throw to stop everything. Default: none (the file is listed in `skipped`). */
  onBad?: (err: ImageDecodeError) => void;
  /** Called after each file, good or bad, with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
  /**
   * `[height, width]`: an image with more pixels than this is resized to it as soon as it is
   * decoded (exactly as the classifier resizes, so results do not change), and only the small
   * copy is kept: memory then grows with neither the photos' size nor, beyond a few in flight,
   * their number. Give the model's input size. Default: images are kept as decoded.
   */
  maxSize?: readonly [number, number];
  /** Keep resized pixels as rounded bytes instead of floats (see `maxSize`). Default false. */
  roundResized?: boolean;
  /** Also return the sha256 of each image's decoded pixels (default false). */
  hash?: boolean;
}

/** Files decoded at once: decoding runs on libuv's threads, so a few in flight keep both cores busy. */
const DECODE_AHEAD = 4;

/**
 * Decodes every file, a few at a time, in order; a bad one is skipped with its reason.
 * Errors other than a bad image (e.g. sharp missing) are thrown.
 */
export async function decodeFiles(
  files: readonly string[],
  options: DecodeFilesOptions = {},
): Promise<DecodedFiles> {
  const out: DecodedFiles = { images: [], skipped: [] };
  const inFlight: (Promise<{ image: RgbImage; sha256?: string }> | undefined)[] = [];
  const begin = (index: number) => {
    const decoding = decodeImageFile(files[index]!, options.pixelLimit).then((image) => ({
      sha256: options.hash ? createHash('sha256').update(image.pixels).digest('hex') : undefined,
      image: options.maxSize ? shrinkToFit(image, options.maxSize, { bytes: options.roundResized }) : image,
    }));
    decoding.catch(() => {}); // handled in order below; an early stop (--strict) leaves the rest unread
    inFlight[index] = decoding;
  };
  for (let i = 0; i < Math.min(DECODE_AHEAD, files.length); i++) begin(i);
  for (const [index, file] of files.entries()) {
    if (index + DECODE_AHEAD < files.length) begin(index + DECODE_AHEAD);
    const decoding = inFlight[index]!;
    inFlight[index] = undefined;
    try {
      const { image, sha256 } = await decoding;
      out.images.push({ file, index, image, ...(sha256 ? { sha256 } : {}) });
    } catch (err) {
      if (!(err instanceof ImageDecodeError)) throw err;
      options.onBad?.(err);
      out.skipped.push({ file, reason: err.reason });
    }
    options.onProgress?.(index + 1, files.length);
  }
  return out;
}
