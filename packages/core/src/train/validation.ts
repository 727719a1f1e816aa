import * as tfc from '@tensorflow/tfjs-core';
import type { Head } from '../model/head.js';
import { lossAndCorrect } from './step.js';

/**
 * The validation measure of every strategy: mean loss and accuracy of the head (inference mode)
 * on pooled features. `pooledBatch(start, n)` readies the batch at `start` and returns a function
 * that makes its `[n, features]` tensor inside a tidy.
 */
export async function measureHead(
  head: Head,
  classes: number,
  labels: readonly number[],
  batchSize: number,
  pooledBatch: (start: number, n: number) => Promise<() => tfc.Tensor2D>,
): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < labels.length; start += batchSize) {
    const n = Math.min(batchSize, labels.length - start);
    const pooled = await pooledBatch(start, n);
    const totals = tfc.tidy(() => {
      const y = tfc.tensor1d(labels.slice(start, start + n) as number[], 'int32');
      const r = lossAndCorrect(head.forward(pooled()), y, null, classes);
      return tfc.stack([r.sum, r.correct]);
    });
    const [s, c] = (await totals.data()) as Float32Array;
    totals.dispose();
    lossSum += s!;
    correct += c!;
  }
  return { loss: lossSum / labels.length, accuracy: correct / labels.length };
}

/** {@link measureHead} on features already computed, all in one batch. */
export function measureHeadOnFeatures(
  head: Head,
  classes: number,
  labels: readonly number[],
  features: Float32Array,
): Promise<{ loss: number; accuracy: number }> {
  const n = labels.length;
  return measureHead(
    head,
    classes,
    labels,
    Math.max(1, n),
    async () => () => tfc.tensor2d(features, [n, features.length / n]),
  );
}
