import { type DecodedImage, decodeImageFile, ImageDecodeError } from './decode.js';

/** Images decoded from files: the good ones (with their position in the input), and the bad ones. */
export interface DecodedFiles {
  images: { file: string; index: number; image: DecodedImage }[];
  skipped: { file: string; reason: string }[];
}

/** What to do with files that cannot be decoded. */
export interface DecodeFilesOptions {
  pixelLimit?: number;
  /** Called for each bad file before it is skipped; may throw to stop (`--strict`). Default: a warning on stderr. */
  onBad?: (err: ImageDecodeError) => void;
}

/** Files decoded at once: decoding runs on libuv's threads, so a few in flight keep both cores busy. */
const DECODE_AHEAD = 4;

/** Decodes every file, a few at a time, in order; a bad one is skipped with its reason. */
export async function decodeFiles(
  files: readonly string[],
  options: DecodeFilesOptions = {},
): Promise<DecodedFiles> {
  const onBad = options.onBad ?? ((err) => process.stderr.write(`graft: warning: skipped ${err.message}\n`));
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
      onBad(err);
      out.skipped.push({ file, reason: err.reason });
    }
  }
  return out;
}
