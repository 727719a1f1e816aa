import { concatArrays } from '@graft/zoo';
import type { Phase } from './loop.js';
import type { SavedTensor } from './optimizers.js';

/** Version of the training-state format. */
export const TRAINING_STATE_VERSION = 1;

/**
 * Everything besides the weights that a run needs to continue exactly where an epoch ended:
 * which phase and epoch, the phase's random-number state, and the optimizers' slots. Save it
 * with the model at each epoch (`Classifier.trainingState()` in an `onEpochEnd` callback) and pass
 * it back as `resume` to the same `fit`/`fineTune` call on the model loaded from that checkpoint.
 */
export interface TrainingState {
  format: 'graft-training-state';
  version: number;
  /** `fit` or `fineTune`, so that a state is not resumed into the other. */
  method: 'fit' | 'fineTune';
  phase: Phase;
  /** 0, or 1 for fineTune's second phase. */
  phaseIndex: number;
  /** Epochs completed within the phase. */
  epoch: number;
  /** The phase's random generator after that epoch. */
  rng: number;
  /** Slots of each optimizer of the phase (one per learning-rate group). */
  optimizers: SavedTensor[][];
}

/** Splits a state into JSON and one binary buffer (the tensors), for files. */
export function encodeTrainingState(state: TrainingState): { json: string; data: Uint8Array } {
  const parts: Float32Array[] = [];
  let offset = 0;
  const optimizers = state.optimizers.map((slots) =>
    slots.map((s) => {
      parts.push(s.values);
      const entry = { name: s.name, shape: s.shape, offset, length: s.values.length };
      offset += s.values.length;
      return entry;
    }),
  );
  const data = concatArrays(parts, (n) => new Float32Array(n));
  return { json: JSON.stringify({ ...state, optimizers }, null, 2), data: new Uint8Array(data.buffer) };
}

/** Reverses {@link encodeTrainingState}, checking the format. */
export function decodeTrainingState(json: string, data: Uint8Array, where = 'training state'): TrainingState {
  const raw = JSON.parse(json) as Omit<TrainingState, 'optimizers'> & {
    optimizers: { name: string; shape: number[]; offset: number; length: number }[][];
  };
  if (raw.format !== 'graft-training-state' || raw.version !== TRAINING_STATE_VERSION) {
    throw new Error(`${where} is not a Graft training state of version ${TRAINING_STATE_VERSION}`);
  }
  const floats = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const optimizers = raw.optimizers.map((slots) =>
    slots.map((s) => {
      if (s.offset + s.length > floats.length) throw new Error(`${where}: its tensor data is truncated`);
      return { name: s.name, shape: s.shape, values: floats.slice(s.offset, s.offset + s.length) };
    }),
  );
  return { ...raw, optimizers };
}
