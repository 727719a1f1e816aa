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

/** Reasons of the folder walk that mean a broken entry: a bad link, a loop, an unreadable folder. */
const BROKEN_ENTRY = /link|cannot be (read|resolved)|cannot list/;
const MAX_LISTED = 20;

/**
 * Decodes every file of a scanned data set. A bad image is skipped with a warning (and listed),
 * or, with `strict`, stops everything with its name and problem.
 */
export async function loadDataset(
  scanned: ScannedDataset,
  options: { strict?: boolean; warn?: (message: string) => void; pixelLimit?: number } = {},
): Promise<LoadedDataset> {
  // what the folder walk passed over because something is wrong with it (not hidden files or other
  // kinds of file, which are simply not images): listed, and fatal under --strict
  const broken = scanned.skipped.filter((s) => BROKEN_ENTRY.test(s.reason));
  if (options.strict && broken.length > 0) {
    throw new DatasetError(
      `${broken[0]!.path}: ${broken[0]!.reason} (--strict stops at the first bad entry)`,
    );
  }
  for (const s of broken.slice(0, MAX_LISTED)) options.warn?.(`skipped ${s.path}: ${s.reason}`);
  if (broken.length > MAX_LISTED) {
    options.warn?.(
      `skipped ${broken.length - MAX_LISTED} more entries like these (data.json lists them all)`,
    );
  }
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
