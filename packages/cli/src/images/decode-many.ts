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

/** Decodes every file; a bad one is skipped with its reason. */
export async function decodeFiles(
  files: readonly string[],
  options: DecodeFilesOptions = {},
): Promise<DecodedFiles> {
  const onBad = options.onBad ?? ((err) => process.stderr.write(`graft: warning: skipped ${err.message}\n`));
  const out: DecodedFiles = { images: [], skipped: [] };
  for (const [index, file] of files.entries()) {
    try {
      out.images.push({ file, index, image: await decodeImageFile(file, options.pixelLimit) });
    } catch (err) {
      if (!(err instanceof ImageDecodeError)) throw err;
      onBad(err);
      out.skipped.push({ file, reason: err.reason });
    }
  }
  return out;
}
