import type { ValidationOption } from '../classifier/options.js';
import {
  collectExamples,
  type Example,
  type ImageSource,
  stratifiedSplit,
  validateTrainingSet,
} from '../data/dataset.js';
import type { PhasePosition } from '../train/resume.js';
import type { Random } from '../util/random.js';

/** What every strategy phase starts from: the prepared splits, the run's generator, and its place. */
export interface PhaseInput {
  train: Example[];
  validation: Example[];
  /** The run's generator; each phase forks its own from it. */
  rng: Random;
  where: PhasePosition;
}

/** The training examples and the validation ones (given, or a seeded stratified split of the training data). */
export async function prepareSplits(
  data: ImageSource,
  validation: ValidationOption | undefined,
  classes: readonly string[],
  rng: Random,
): Promise<{ train: Example[]; validation: Example[] }> {
  let train = await collectExamples(data, classes);
  let val: Example[] = [];
  if (validation && 'split' in validation && typeof validation.split === 'number') {
    const split = stratifiedSplit(train, validation.split, rng.int(2 ** 31));
    train = split.train;
    val = split.validation;
  } else if (validation) {
    val = await collectExamples(validation as ImageSource, classes);
  }
  validateTrainingSet(train, classes);
  return { train, validation: val };
}

/** The ids of the examples each split used. */
export function idsOf(train: Example[], validation: Example[]): { train: string[]; validation: string[] } {
  return { train: train.map((e) => e.id), validation: validation.map((e) => e.id) };
}
