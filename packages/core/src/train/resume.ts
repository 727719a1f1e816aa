import type { Random } from '../util/random.js';
import type { Phase, TrainingCallbacks } from './loop.js';
import type { ScheduledOptimizer } from './optimizers.js';
import { TRAINING_STATE_VERSION, type TrainingState } from './state.js';

/** Which method's phase is training: `fit`'s only one, or `fineTune`'s first or second. */
export interface PhasePosition {
  method: 'fit' | 'fineTune';
  phaseIndex: number;
}

/** A phase as it starts: the epoch to start from, and how to describe its state at an epoch's end. */
export interface EnteredPhase {
  startEpoch: number;
  /** Tracks finished epochs; goes first among the phase's callbacks. */
  tracker: TrainingCallbacks;
  /** The phase's state as of its last finished epoch (what `trainingState()` returns). */
  capture: () => Promise<TrainingState>;
}

/** Refuses a training state saved by the other method. */
export function checkResume(state: TrainingState | undefined, method: 'fit' | 'fineTune'): void {
  if (state && state.method !== method) {
    throw new Error(
      `this training state was saved by ${state.method}; resume it with ${state.method}, not ${method}`,
    );
  }
}

/**
 * Restores a resumed phase's generator and optimizers (when `resumeFrom` is this phase's state),
 * and returns where the phase starts and how its state is captured.
 */
export async function enterPhase(
  phase: Phase,
  where: PhasePosition,
  resumeFrom: TrainingState | undefined,
  phaseRng: Random,
  optimizers: ScheduledOptimizer[],
): Promise<EnteredPhase> {
  const resume = resumeFrom?.phaseIndex === where.phaseIndex ? resumeFrom : undefined;
  if (resume) {
    if (resume.optimizers.length !== optimizers.length) {
      throw new Error(
        `the training state has ${resume.optimizers.length} optimizer(s); this phase uses ${optimizers.length}: resume with the same options`,
      );
    }
    phaseRng.restore(resume.rng);
    for (const [i, o] of optimizers.entries()) await o.setState(resume.optimizers[i]!);
  }
  let epochsDone = resume?.epoch ?? 0;
  return {
    startEpoch: epochsDone + 1,
    tracker: {
      onEpochEnd: (log) => {
        epochsDone = log.epoch;
      },
    },
    capture: async () => ({
      format: 'graft-training-state',
      version: TRAINING_STATE_VERSION,
      method: where.method,
      phase,
      phaseIndex: where.phaseIndex,
      epoch: epochsDone,
      rng: phaseRng.seedState,
      optimizers: await Promise.all(optimizers.map((o) => o.getState())),
    }),
  };
}
