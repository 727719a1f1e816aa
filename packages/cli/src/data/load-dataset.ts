import {
  DatasetError,
  type LoadedImageDataset,
  loadImageDataset,
  type ScannedDataset,
} from '@graft/core/advanced';

/** What `data.json` records about one file. */
export interface DataRecord {
  path: string;
  label: string;
  split: 'train' | 'validation';
  sha256?: string;
}

/** A decoded data set: images ready for @graft/core, and what was skipped and why. */
export type LoadedDataset = LoadedImageDataset;

/** Broken entries warned about one by one; data.json lists them all. */
const MAX_LISTED = 20;

/**
 * Decodes every file of a scanned data set. A bad image or entry is skipped with a warning (and
 * listed), or, with `strict`, stops everything with its name and problem.
 */
export async function loadDataset(
  scanned: ScannedDataset,
  options: {
    strict?: boolean;
    warn?: (message: string) => void;
    pixelLimit?: number;
    /** The model's input size: bigger images are shrunk to it as they are decoded. */
    maxSize: readonly [number, number];
    /** Keep shrunk images as rounded bytes (for augmented training). */
    roundResized?: boolean;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<LoadedDataset> {
  let brokenEntries = 0;
  const loaded = await loadImageDataset(scanned, {
    pixelLimit: options.pixelLimit,
    maxSize: options.maxSize,
    roundResized: options.roundResized,
    onProgress: options.onProgress,
    onBad: ({ path, reason, kind }) => {
      if (options.strict)
        throw new DatasetError(`${path}: ${reason} (--strict stops at the first bad ${kind})`);
      if (kind === 'entry' && ++brokenEntries > MAX_LISTED) return;
      options.warn?.(`skipped ${path}: ${reason}`);
    },
  });
  if (brokenEntries > MAX_LISTED) {
    options.warn?.(
      `skipped ${brokenEntries - MAX_LISTED} more entries like these (data.json lists them all)`,
    );
  }
  return loaded;
}
