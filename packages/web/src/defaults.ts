import { DEFAULTS } from '@graft/core';

/**
 * The widget's training defaults: @graft/core's {@link DEFAULTS} with the widget's own choices,
 * one line each. The engine, the element and its view all read this table.
 */
export const WIDGET_DEFAULTS = {
  common: {
    ...DEFAULTS.common,
    augment: false,
  },
  featureExtraction: {
    ...DEFAULTS.featureExtraction,
    epochs: 50, // Teachable Machine's, for a new head
    batchSize: 16, // Teachable Machine's
  },
  fineTune: { ...DEFAULTS.fineTune },
};

/** The defaults of a strategy (`strategy` as in `train()` options: fine-tuning, else feature extraction). */
export function strategyDefaults(
  strategy: string | undefined,
): typeof WIDGET_DEFAULTS.featureExtraction | typeof WIDGET_DEFAULTS.fineTune {
  return strategy === 'fine-tune' ? WIDGET_DEFAULTS.fineTune : WIDGET_DEFAULTS.featureExtraction;
}

/** Teachable Machine's 50 for a new head; fine-tuning's second phase needs far fewer. */
export function defaultEpochs(strategy: string): number {
  return strategyDefaults(strategy).epochs;
}
