import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Classifier } from '../classifier/classifier.js';
import type { EpochLog } from '../train/loop.js';
import { decodeTrainingState, encodeTrainingState, type TrainingState } from '../train/state.js';
import { type BackboneFileReuse, fileSaveHandler } from './model-files.js';

/** The training-state files kept beside the model in a resumable checkpoint. */
export const TRAINING_STATE_FILES = { json: 'training-state.json', data: 'training-state.bin' } as const;

/**
 * Saves the classifier and its training state as one model folder, replaced atomically: call it in
 * `onEpochEnd` (or a `checkpoint` callback), then load the folder and pass
 * {@link readTrainingState}'s result as `resume` to the same `fit`/`fineTune` call to continue
 * exactly where that epoch ended (Keras's `BackupAndRestore`).
 */
export async function saveResumable(
  clf: Classifier,
  dir: string,
  options: { reuse?: BackboneFileReuse } = {},
): Promise<void> {
  const state = encodeTrainingState(await clf.trainingState());
  await clf.save(
    fileSaveHandler(dir, {
      extraFiles: { [TRAINING_STATE_FILES.json]: state.json, [TRAINING_STATE_FILES.data]: state.data },
      reuse: options.reuse,
    }),
  );
}

/** The training state saved in a folder by {@link saveResumable}; errors name the file. */
export async function readTrainingState(dir: string): Promise<TrainingState> {
  const json = join(dir, TRAINING_STATE_FILES.json);
  return decodeTrainingState(
    await readFile(json, 'utf8'),
    new Uint8Array(await readFile(join(dir, TRAINING_STATE_FILES.data))),
    json,
  );
}

/** Whether an epoch was logged before `state` was saved: resuming from it redoes the others. */
export function loggedBefore(log: Pick<EpochLog, 'phase' | 'epoch'>, state: TrainingState): boolean {
  const phaseIndex =
    state.phase === 'fine-tune' && log.phase === 'head'
      ? 0
      : log.phase === state.phase
        ? state.phaseIndex
        : -1;
  return phaseIndex < state.phaseIndex || (phaseIndex === state.phaseIndex && log.epoch <= state.epoch);
}
