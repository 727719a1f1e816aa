import type { LabeledImage } from '../data/dataset.js';
import { type DecodeFilesOptions, decodeFiles } from './decode-files.js';
import { DatasetError, type ScannedDataset, scanDataset } from './image-folder.js';

/** Something of a data set that cannot be used: a broken folder entry, or an image that does not decode. */
export interface BadInput {
  path: string;
  reason: string;
  kind: 'entry' | 'image';
}

/** How to load a data set's images. */
export interface LoadImagesOptions extends Pick<DecodeFilesOptions, 'maxSize' | 'roundResized'> {
  /** Images larger than this many pixels are refused (default: 100 million). */
  pixelLimit?: number;
  /**
   * Called for each bad entry (first) and bad image, before it is skipped; may throw to stop
   * everything (a `--strict` mode). Default: none (each is listed in `skipped`).
   */
  onBad?: (bad: BadInput) => void;
  /** Called after each image file with how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
}

/** A decoded data set: images ready for the classifier, and what was skipped and why. */
export interface LoadedImageDataset {
  classes: string[];
  /** Labelled images; `id` is the file's path. */
  images: LabeledImage[];
  /** The sha256 of each image's decoded pixels, by path: the same image twice has the same hash. */
  hashes: Map<string, string>;
  skipped: { path: string; reason: string }[];
}

/** Reasons of the folder walk that mean a broken entry: a bad link, a loop, an unreadable folder. */
const BROKEN_ENTRY = /link|cannot be (read|resolved)|cannot list/;

/** Reports the scan's broken entries to `onBad`: hidden files and other kinds of file are simply not images. */
export function reportBrokenEntries(scanned: ScannedDataset, onBad?: (bad: BadInput) => void): void {
  for (const s of scanned.skipped)
    if (BROKEN_ENTRY.test(s.reason)) onBad?.({ path: s.path, reason: s.reason, kind: 'entry' });
}

/**
 * Decodes every file of a scanned data set. Bad images and broken entries are skipped (and
 * reported to `onBad`); a class left with no image is an error.
 */
export async function loadImageDataset(
  scanned: ScannedDataset,
  options: LoadImagesOptions = {},
): Promise<LoadedImageDataset> {
  reportBrokenEntries(scanned, options.onBad);
  const decoded = await decodeFiles(
    scanned.files.map((f) => f.path),
    {
      pixelLimit: options.pixelLimit,
      maxSize: options.maxSize,
      roundResized: options.roundResized,
      hash: true,
      onBad: (err) => options.onBad?.({ path: err.file, reason: err.reason, kind: 'image' }),
      onProgress: options.onProgress,
    },
  );
  const out: LoadedImageDataset = {
    classes: scanned.classes,
    images: [],
    hashes: new Map(),
    skipped: [...scanned.skipped, ...decoded.skipped.map((s) => ({ path: s.file, reason: s.reason }))],
  };
  for (const { file, index, image, sha256 } of decoded.images) {
    out.images.push({ ...image, label: scanned.files[index]!.label, id: file });
    out.hashes.set(file, sha256!);
  }
  for (const label of scanned.classes) {
    if (!out.images.some((i) => i.label === label)) {
      throw new DatasetError(`class '${label}' has no readable images left after skipping bad files`);
    }
  }
  return out;
}

/**
 * Reads a labelled data set: a folder with one subfolder per class (as Keras's
 * `image_dataset_from_directory` and torchvision's `ImageFolder`), or a CSV/JSONL list of
 * `path,label`; then decodes its images.
 *
 * @example
 * ```ts
 * const data = await loadImageFolder('./photos');
 * await clf.fit(data.images);
 * ```
 */
export async function loadImageFolder(
  source: string,
  options: LoadImagesOptions = {},
): Promise<LoadedImageDataset> {
  return loadImageDataset(await scanDataset(source), options);
}
