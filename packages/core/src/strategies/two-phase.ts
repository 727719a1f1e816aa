import { DEFAULTS } from '../classifier/defaults.js';
import type { Learner } from '../classifier/learner.js';
import type { FineTuneOptions, FitOptions, TrainingHistory } from '../classifier/options.js';
import type { ImageSource } from '../data/dataset.js';
import { resolveFreezeIndex } from '../model/freeze.js';
import type { PhaseHistory } from '../train/loop.js';
import { checkResume } from '../train/resume.js';
import { Random } from '../util/random.js';
import { trainHeadOnFeatures, usesProbe } from './feature-extraction.js';
import { trainEndToEnd } from './fine-tune.js';
import { idsOf, prepareSplits } from './phase-data.js';
import { solveHeadOnFeatures } from './probe-head.js';

/** The layer index fine-tuning freezes up to: the option, else the backbone spec's default. */
function freezeIndex(learner: Learner, freeze: number | string | undefined): number {
  const chosen = freeze ?? learner.info.defaultFreeze;
  if (chosen === undefined) {
    throw new Error(
      `the backbone's spec (${learner.info.id}) declares no fineTune.defaultFreeze: pass freeze (a layer index or name)`,
    );
  }
  return resolveFreezeIndex(learner.backbone, chosen, learner.info.stageOf);
}

/** `fit`: one phase — the head on frozen features (solved or SGD), or one fine-tuning phase. */
export async function fitOnePhase(
  learner: Learner,
  data: ImageSource,
  options: FitOptions,
): Promise<TrainingHistory> {
  checkResume(options.resume, 'fit');
  const rng = new Random(options.seed ?? DEFAULTS.common.seed);
  const { train, validation } = await prepareSplits(data, options.validation, learner.classes, rng);
  const input = { train, validation, rng, where: { method: 'fit', phaseIndex: 0 } } as const;
  let phase: PhaseHistory;
  if ((options.strategy ?? 'feature-extraction') === 'feature-extraction') {
    phase = usesProbe(learner, options)
      ? await solveHeadOnFeatures(learner, input, options, 'feature-extraction')
      : await trainHeadOnFeatures(
          learner,
          input,
          options,
          'feature-extraction',
          options.lr ?? DEFAULTS.featureExtraction.lr,
        );
    learner.record.strategy = 'feature-extraction';
  } else {
    const freeze = freezeIndex(learner, options.freeze);
    phase = await trainEndToEnd(learner, input, options, freeze, options.lr ?? DEFAULTS.fineTune.lr);
  }
  return { phases: [phase], stopReason: phase.stopReason, data: idsOf(train, validation) };
}

/**
 * fastai's `fine_tune`: phase one, the new head on the frozen backbone (solved, or `headEpochs`
 * of SGD); phase two, the layers after `freeze` unfrozen at a lower rate.
 */
export async function fineTuneTwoPhases(
  learner: Learner,
  data: ImageSource,
  options: FineTuneOptions,
): Promise<TrainingHistory> {
  checkResume(options.resume, 'fineTune');
  const rng = new Random(options.seed ?? DEFAULTS.common.seed);
  const freeze = freezeIndex(learner, options.freeze);
  const { train, validation } = await prepareSplits(data, options.validation, learner.classes, rng);
  const phases: PhaseHistory[] = [];
  const headEpochs = options.headEpochs ?? DEFAULTS.fineTune.headEpochs;
  if (headEpochs > 0 && (options.resume?.phaseIndex ?? 0) > 0) {
    rng.fork(); // the head phase is done: keep the generator where that phase left it
  } else if (headEpochs > 0) {
    const input = { train, validation, rng, where: { method: 'fineTune', phaseIndex: 0 } } as const;
    const first = usesProbe(learner, options)
      ? await solveHeadOnFeatures(learner, input, options, 'head')
      : await trainHeadOnFeatures(
          learner,
          input,
          { ...options, epochs: headEpochs, earlyStopping: undefined },
          'head',
          options.headLr ?? DEFAULTS.fineTune.headLr,
        );
    phases.push(first);
    learner.record.strategy = 'feature-extraction';
    if (first.stopReason === 'aborted')
      return { phases, stopReason: 'aborted', data: idsOf(train, validation) };
  }
  const input = { train, validation, rng, where: { method: 'fineTune', phaseIndex: 1 } } as const;
  const second = await trainEndToEnd(learner, input, options, freeze, options.lr ?? DEFAULTS.fineTune.lr);
  phases.push(second);
  return { phases, stopReason: second.stopReason, data: idsOf(train, validation) };
}
