import type * as tfc from '@tensorflow/tfjs-core';
import { IMAGENET_LABELS } from './imagenet-labels.js';

/** One class of a prediction. */
export interface ClassScore {
  index: number;
  label: string;
  probability: number;
}

/**
 * The top `k` classes of each row of a `[n, classes]` probability tensor (or of plain arrays), as
 * Keras `decode_predictions`, labelled with `labels` (the 1000 ImageNet names by default).
 */
export async function decodePredictions(
  probabilities: tfc.Tensor2D | ArrayLike<number>[],
  k = 5,
  labels: readonly string[] = IMAGENET_LABELS,
): Promise<ClassScore[][]> {
  const rows = Array.isArray(probabilities)
    ? probabilities
    : ((await (probabilities as tfc.Tensor2D).array()) as number[][]);
  return rows.map((row) => topK(row, k, labels));
}

/** The `k` largest entries of one probability row, highest first, ties by lower index. */
export function topK(row: ArrayLike<number>, k: number, labels: readonly string[]): ClassScore[] {
  const indices = Array.from({ length: row.length }, (_, i) => i);
  indices.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
  return indices.slice(0, Math.max(0, k)).map((index) => ({
    index,
    label: labels[index] ?? `class ${index}`,
    probability: row[index] as number,
  }));
}
