import type { EpochLog, TrainingCallbacks } from './loop.js';

/** Options of {@link checkpoint}. */
export interface CheckpointOptions {
  /** Writes the checkpoint (e.g. `() => clf.save(handler)`); awaited before training goes on. */
  save: (log: EpochLog) => Promise<unknown> | unknown;
  /** Save only when this metric improves (Keras `save_best_only`); default: every epoch. */
  monitor?: 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy';
}

/**
 * A callback that saves after each epoch, or only after the epochs that improve `monitor`
 * (Keras `ModelCheckpoint`). One instance remembers the best value across phases.
 */
export function checkpoint(options: CheckpointOptions): TrainingCallbacks {
  let best: number | undefined;
  return {
    async onEpochEnd(log) {
      if (options.monitor) {
        const value = log[options.monitor];
        if (value === undefined)
          throw new Error(`checkpoint monitors '${options.monitor}', which this run does not compute`);
        const higherIsBetter = options.monitor.endsWith('accuracy');
        if (best !== undefined && (higherIsBetter ? value <= best : value >= best)) return;
        best = value;
      }
      await options.save(log);
    },
  };
}
