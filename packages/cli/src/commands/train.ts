import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addTrainOptions, type TrainFlags } from './train/flags.js';
import { train } from './train/run.js';
import { readResumedRun } from './train/run-config.js';

/** `graft train`: a run folder with a trained model, metrics, checkpoints and a report. */
export function registerTrainCommand(program: Command): void {
  addTrainOptions(
    program
      .command('train <data>')
      .description(
        'train a classifier on a folder with one sub-folder per class (or a CSV/JSONL of path,label)',
      ),
  ).action(async (data: string, flags: TrainFlags) => {
    if (flags.resume && flags.overwrite)
      throw new UsageError('give either --resume or --overwrite, not both');
    if (!flags.resume) return train(data, flags);
    const resumed = await readResumedRun(data, flags);
    await train(data, resumed.flags, resumed.config);
  });
}
