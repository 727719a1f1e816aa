import { type Classifier, checkpoint, type EpochLog, fileSaveHandler, type TrainingState } from '@graft/core';
import {
  type BackboneFileReuse,
  loggedBefore,
  readTrainingState,
  recoverReplacedFolder,
  saveResumable,
  writeFileAtomic,
} from '@graft/core/advanced';
import { RUN_FILES, type RunFolder } from '../../runs/run-folder.js';

/** The folder of a run's checkpoint (`latest`: with the training state; `best`: by the monitored loss). */
export function checkpointDir(run: RunFolder, which: 'latest' | 'best'): string {
  return run.path(`${RUN_FILES.checkpoints}/${which}`);
}

/**
 * The training state of the run's latest checkpoint, where --resume continues from; checkpoints
 * a crash left mid-save are put back first (the run folder's lock is held).
 */
export async function readLatestState(run: RunFolder, warn: (m: string) => void): Promise<TrainingState> {
  const latest = checkpointDir(run, 'latest');
  for (const which of ['latest', 'best'] as const) {
    const note = await recoverReplacedFolder(checkpointDir(run, which));
    if (note) warn(note);
  }
  try {
    return await readTrainingState(latest);
  } catch (err) {
    throw new Error(
      `cannot resume ${run.dir}: no usable checkpoint in ${latest} (${(err as Error).message})`,
    );
  }
}

/** Epochs logged after the checkpoint was written are done again: drops their lines from metrics.jsonl. */
export async function dropRedoneEpochs(run: RunFolder, resume: TrainingState): Promise<void> {
  const kept = (await run.readMetrics<EpochLog>()).filter((m) => loggedBefore(m, resume));
  await writeFileAtomic(run.path(RUN_FILES.metrics), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

/**
 * The training callbacks of a run: each epoch's log appended to metrics.jsonl (and to `epochs`),
 * the `latest` checkpoint with the training state after every epoch, and the `best` one.
 */
export function runCallbacks(
  run: RunFolder,
  clf: Classifier,
  monitor: 'val_loss' | 'loss',
  epochs: EpochLog[],
) {
  // checkpoints share one backbone.bin while the backbone does not train (feature extraction)
  const backboneFiles: BackboneFileReuse = {};
  return [
    {
      onEpochEnd: async (log: EpochLog) => {
        epochs.push(log);
        await run.appendMetrics(log);
      },
    },
    checkpoint({
      // the model and the training state in one atomic folder: --resume continues from here
      save: () => saveResumable(clf, checkpointDir(run, 'latest'), { reuse: backboneFiles }),
    }),
    checkpoint({
      save: () => clf.save(fileSaveHandler(checkpointDir(run, 'best'), { reuse: backboneFiles })),
      monitor,
    }),
  ];
}
