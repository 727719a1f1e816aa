import { DEFAULTS } from '@graft/core';

/**
 * `graft train`'s defaults: @graft/core's table, with each place the CLI differs from the library
 * on one line. The help texts state these values from here.
 */
export const CLI_DEFAULTS = {
  ...DEFAULTS,
  /** The SGD head of feature extraction trains for longer than the library's default. */
  featureExtraction: { ...DEFAULTS.featureExtraction, epochs: 20 },
  /** Fine-tuning's first phase (with --head sgd) trains the new head for two epochs, not one. */
  fineTune: { ...DEFAULTS.fineTune, headEpochs: 2 },
  /** The library validates on nothing unless asked: the CLI holds out a fifth of each class. */
  valSplit: 0.2,
  /** The zoo backbone. */
  model: 'resnet50',
} as const;

/** A learning rate as the help texts write it (`1e-3`). */
export function formatRate(rate: number): string {
  return rate.toExponential();
}
