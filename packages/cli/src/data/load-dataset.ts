import { createHash } from 'node:crypto';
import type { LabeledImage } from '@graft/core';
import { decodeImageFile, ImageDecodeError } from '../images/decode.js';
import { DatasetError, type ScannedDataset } from './scan.js';

/** What `data.json` records about one file. */
export interface DataRecord {
  path: string;
  label: string;
  split: 'train' | 'validation';
  sha256?: string;
}

/** A decoded data set: images ready for @graft/core, and what was skipped and why. */
export interface LoadedDataset {
  images: LabeledImage[];
  hashes: Map<string, string>;
  skipped: { path: string; reason: string }[];
}

/**
 * Decodes every file of a scanned data set. A bad image is skipped with a warning (and listed),
 * or, with `strict`, stops everything with its name and problem.
 */
export async function loadDataset(
  scanned: ScannedDataset,
  options: { strict?: boolean; warn?: (message: string) => void; pixelLimit?: number } = {},
): Promise<LoadedDataset> {
  const out: LoadedDataset = { images: [], hashes: new Map(), skipped: [...scanned.skipped] };
  for (const file of scanned.files) {
    try {
      const image = await decodeImageFile(file.path, options.pixelLimit);
      out.images.push({ ...image, label: file.label, id: file.path });
      out.hashes.set(file.path, createHash('sha256').update(image.pixels).digest('hex'));
    } catch (err) {
      if (!(err instanceof ImageDecodeError)) throw err;
      if (options.strict) throw new DatasetError(`${err.message} (--strict stops at the first bad image)`);
      out.skipped.push({ path: file.path, reason: err.reason });
      options.warn?.(`skipped ${err.message}`);
    }
  }
  for (const label of scanned.classes) {
    if (!out.images.some((i) => i.label === label)) {
      throw new DatasetError(`class '${label}' has no readable images left after skipping bad files`);
    }
  }
  return out;
}
