import {
  type BadInput,
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
 * What a data set's bad entries and images become: a warning each (broken entries past the first
 * few counted, then summed up by `finish`), or, with `strict`, an error that stops everything.
 */
export function badInputReporter(options: { strict?: boolean; warn?: (message: string) => void }) {
  let brokenEntries = 0;
  return {
    onBad({ path, reason, kind }: BadInput): void {
      if (options.strict)
        throw new DatasetError(`${path}: ${reason} (--strict stops at the first bad ${kind})`);
      if (kind === 'entry' && ++brokenEntries > MAX_LISTED) return;
      options.warn?.(`skipped ${path}: ${reason}`);
    },
    finish(): void {
      if (brokenEntries > MAX_LISTED)
        options.warn?.(
          `skipped ${brokenEntries - MAX_LISTED} more entries like these (data.json lists them all)`,
        );
    },
  };
}

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
  const bad = badInputReporter(options);
  const loaded = await loadImageDataset(scanned, {
    pixelLimit: options.pixelLimit,
    maxSize: options.maxSize,
    roundResized: options.roundResized,
    onProgress: options.onProgress,
    onBad: bad.onBad,
  });
  bad.finish();
  return loaded;
}
