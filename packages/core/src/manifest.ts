import type { PreprocessingMode } from '@graft/zoo';
import { CORE_VERSION } from './version.js';

/** Version of the `graft.json` format this library writes and reads. */
export const MANIFEST_FORMAT_VERSION = 1;

/** How a classifier was made: saved next to the model (`graft.json`) and inside `model.json`. */
export interface ClassifierManifest {
  format: 'graft-classifier';
  formatVersion: number;
  library: { name: '@graft/core'; version: string };
  labels: string[];
  backbone: { id: string; architecture: string; weights: { source: string; id: string } };
  /** The layer whose pooled output feeds the head. */
  featureLayer: string;
  inputSize: [number, number];
  preprocessing: PreprocessingMode;
  strategy: 'untrained' | 'feature-extraction' | 'fine-tune';
  /** Layers frozen in the last fine-tuning (Keras index), if any. */
  freeze?: number;
  head: { dropout: number; hidden: number[] };
  /** The last epoch's metrics. */
  metrics: Record<string, number>;
  createdAt: string;
}

/** Checks a manifest read back from a saved model; a clear message when it is not one we read. */
export function checkManifest(value: unknown, where: string): ClassifierManifest {
  const m = value as Partial<ClassifierManifest> | undefined;
  if (m?.format !== 'graft-classifier') {
    throw new Error(
      `${where} is not a Graft classifier (no graft-classifier manifest in its model.json metadata)`,
    );
  }
  if (m.formatVersion !== MANIFEST_FORMAT_VERSION) {
    const newer = (m.formatVersion ?? 0) > MANIFEST_FORMAT_VERSION;
    throw new Error(
      `${where} was saved by ${m.library?.name ?? '@graft/core'} ${m.library?.version ?? '?'} in classifier format ${m.formatVersion}; ` +
        `this @graft/core ${CORE_VERSION} reads format ${MANIFEST_FORMAT_VERSION}. ` +
        (newer
          ? 'Upgrade @graft/core (and @graft/cli) to load it.'
          : 'Retrain it, or load it with the older version that made it.'),
    );
  }
  if (
    !Array.isArray(m.labels) ||
    m.labels.length < 2 ||
    !m.inputSize ||
    !m.featureLayer ||
    !m.preprocessing
  ) {
    throw new Error(
      `${where} has an incomplete graft-classifier manifest (labels, inputSize, featureLayer, preprocessing)`,
    );
  }
  return m as ClassifierManifest;
}
