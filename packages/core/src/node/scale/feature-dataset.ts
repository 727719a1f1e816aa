import { resolve } from 'node:path';
import { DatasetError, type ScannedDataset } from '../image-folder.js';
import { type BadInput, type LoadedImageDataset, reportBrokenEntries } from '../load-images.js';
import type { MergedFeatures } from './local.js';

/**
 * A scanned data set whose images are not decoded: each file comes with the feature-cache key a
 * merged embed gave it (`featureKey`, empty pixels), so a classifier whose `featureCache` is
 * `merged.cache` trains its head without reading an image. Broken entries and files the embed did
 * not cover are skipped (reported to `onBad`, which may throw), as `loadImageDataset` reports its
 * bad entries and images; a class left with none is an error.
 */
export function featureDataset(
  scanned: ScannedDataset,
  merged: MergedFeatures,
  options: { onBad?: (bad: BadInput) => void } = {},
): LoadedImageDataset {
  reportBrokenEntries(scanned, options.onBad);
  const out: LoadedImageDataset = {
    classes: scanned.classes,
    images: [],
    hashes: new Map(),
    skipped: [...scanned.skipped],
  };
  for (const { path, label } of scanned.files) {
    const found = merged.byFile.get(resolve(path));
    if (!found) {
      const reason = `not among the features in ${merged.dir} (added after the embed, or unreadable then)`;
      options.onBad?.({ path, reason, kind: 'image' });
      out.skipped.push({ path, reason });
      continue;
    }
    out.images.push({
      pixels: new Uint8Array(0),
      width: 0,
      height: 0,
      label,
      id: path,
      featureKey: found.key,
    });
    if (found.content) out.hashes.set(path, found.content.split(':')[0]!);
  }
  for (const label of scanned.classes)
    if (!out.images.some((i) => i.label === label))
      throw new DatasetError(`class '${label}' has no images among the features in ${merged.dir}`);
  return out;
}
