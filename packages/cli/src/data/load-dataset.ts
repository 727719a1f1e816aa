import { createHash } from 'node:crypto';
import type { LabeledImage } from '@graft/core';
import { decodeFiles } from '../images/decode-many.js';
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
  const decoded = await decodeFiles(
    scanned.files.map((f) => f.path),
    {
      pixelLimit: options.pixelLimit,
      onBad: (err) => {
        if (options.strict) throw new DatasetError(`${err.message} (--strict stops at the first bad image)`);
        options.warn?.(`skipped ${err.message}`);
      },
    },
  );
  const out: LoadedDataset = {
    images: [],
    hashes: new Map(),
    skipped: [...scanned.skipped, ...decoded.skipped.map((s) => ({ path: s.file, reason: s.reason }))],
  };
  for (const { file, index, image } of decoded.images) {
    out.images.push({ ...image, label: scanned.files[index]!.label, id: file });
    out.hashes.set(file, createHash('sha256').update(image.pixels).digest('hex'));
  }
  for (const label of scanned.classes) {
    if (!out.images.some((i) => i.label === label)) {
      throw new DatasetError(`class '${label}' has no readable images left after skipping bad files`);
    }
  }
  return out;
}
