import * as tfc from '@tensorflow/tfjs-core';
import type { ProgressEvent, TrainingCallbacks, WeightSnapshot } from './loop.js';

/**
 * A phase's callbacks: the caller's, then `onProgress` as a callback, then one that records the
 * last epoch's loss and accuracy figures into `metrics` (what the saved manifest reports).
 */
export function phaseCallbacks(
  options: { callbacks?: TrainingCallbacks[]; onProgress?: (event: ProgressEvent) => void },
  record: { metrics: Record<string, number> },
): TrainingCallbacks[] {
  const list = [...(options.callbacks ?? [])];
  const onProgress = options.onProgress;
  if (onProgress) {
    list.push({ onBatchEnd: (e) => onProgress(e), onEpochEnd: (_log, e) => onProgress(e) });
  }
  list.push({
    onEpochEnd: (log) => {
      record.metrics = Object.fromEntries(
        Object.entries(log).filter(([k, v]) => typeof v === 'number' && /loss|accuracy/.test(k)),
      ) as Record<string, number>;
    },
  });
  return list;
}

/** Copies of `variables` to put back later (early stopping's best weights). */
export function snapshotOf(variables: tfc.Variable[]): () => WeightSnapshot {
  return () => {
    const copies = variables.map((v) => tfc.clone(v));
    return {
      restore: () => {
        for (const [i, v] of variables.entries()) v.assign(copies[i]!);
      },
      dispose: () => tfc.dispose(copies),
    };
  };
}
