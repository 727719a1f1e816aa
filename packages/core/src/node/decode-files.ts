import { type DecodedImage, decodeImageFile, ImageDecodeError } from './decode-image.js';

/** Images decoded from files: the good ones (with their position in the input), and the bad ones. */
export interface DecodedFiles {
  images: { file: string; index: number; image: DecodedImage }[];
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
  const inFlight: (Promise<DecodedImage> | undefined)[] = [];
  const begin = (index: number) => {
    const decoding = decodeImageFile(files[index]!, options.pixelLimit);
    decoding.catch(() => {}); // handled in order below; an early stop (--strict) leaves the rest unread
    inFlight[index] = decoding;
  };
  for (let i = 0; i < Math.min(DECODE_AHEAD, files.length); i++) begin(i);
  for (const [index, file] of files.entries()) {
    if (index + DECODE_AHEAD < files.length) begin(index + DECODE_AHEAD);
    const decoding = inFlight[index]!;
    inFlight[index] = undefined;
    try {
      out.images.push({ file, index, image: await decoding });
    } catch (err) {
      if (!(err instanceof ImageDecodeError)) throw err;
      options.onBad?.(err);
      out.skipped.push({ file, reason: err.reason });
    }
    options.onProgress?.(index + 1, files.length);
  }
  return out;
}
