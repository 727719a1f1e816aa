import type { OptimizerName } from '../train/optimizers.js';
import type { Schedule } from '../train/schedules.js';

/**
 * Every default of training and prediction, in one frozen table. The CLI and the widget spread it
 * and override what they choose to (`{ ...DEFAULTS.featureExtraction, epochs: 20 }`), so each
 * difference from the library is one visible line.
 */
export const DEFAULTS = deepFreeze({
  /** Both strategies. */
  common: {
    /** `auto`: the head is solved (probe) unless augmentation or hidden layers need the SGD loop. */
    head: 'auto' as 'auto' | 'probe' | 'sgd',
    optimizer: 'adam' as OptimizerName,
    schedule: 'constant' as Schedule,
    seed: 0,
  },
  /** Feature extraction with the SGD head (`head: 'sgd'`); the probe takes no epochs or rate. */
  featureExtraction: {
    epochs: 10,
    batchSize: 32,
    lr: 1e-3,
  },
  /** Fine-tuning: `fineTune`'s two phases, and `fit` with `strategy: 'fine-tune'` (phase two only). */
  fineTune: {
    /** Phase one with `head: 'sgd'`; 0 skips it. */
    headEpochs: 1,
    headLr: 1e-3,
    epochs: 5,
    batchSize: 16,
    lr: 1e-4,
    lrMult: 1,
    trainBatchNorm: false,
    cacheFrozenActivations: true,
  },
  /** The new head: global average pooling, dropout, softmax Dense. */
  head: {
    dropout: 0.2,
  },
  predict: {
    topK: 3,
    batchSize: 32,
  },
  /** Frozen-prefix activations up to this many bytes (as float32) stay in memory. */
  frozenActivationMemoryBytes: 1e9,
});

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

function deepFreeze<T extends object>(value: T): DeepReadonly<T> {
  for (const child of Object.values(value)) if (typeof child === 'object' && child) deepFreeze(child);
  return Object.freeze(value) as DeepReadonly<T>;
}
