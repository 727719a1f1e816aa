import { type DecodedImage, decodeImageFile, ImageDecodeError } from './decode.js';

/** Images decoded from files: the good ones, and the bad ones with the reason. */
export interface DecodedFiles {
  images: { file: string; image: DecodedImage }[];
  skipped: { file: string; reason: string }[];
}

/** Decodes every file; a bad one is skipped with its reason (and a warning on stderr). */
export async function decodeFiles(files: readonly string[], warn = true): Promise<DecodedFiles> {
  const out: DecodedFiles = { images: [], skipped: [] };
  for (const file of files) {
    try {
      out.images.push({ file, image: await decodeImageFile(file) });
    } catch (err) {
      if (!(err instanceof ImageDecodeError)) throw err;
      out.skipped.push({ file, reason: err.reason });
      if (warn) process.stderr.write(`graft: warning: skipped ${err.message}\n`);
    }
  }
  return out;
}
