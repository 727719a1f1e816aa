import * as tfc from '@tensorflow/tfjs-core';
import { DEFAULTS } from '../classifier/defaults.js';
import type { Learner } from '../classifier/learner.js';
import type { HeadTrainingOptions, TrainOptions } from '../classifier/options.js';
import { resolveAugment } from '../data/augment.js';
import { resolveClassWeights } from '../data/dataset.js';
import { phaseCallbacks, snapshotOf } from '../train/callbacks.js';
import { ensureTrainingKernels } from '../train/kernels.js';
import { type PhaseHistory, type PhaseRunner, runPhase } from '../train/loop.js';
import { createOptimizer } from '../train/optimizers.js';
import { enterPhase } from '../train/resume.js';
import { gradientStep } from '../train/step.js';
import { measureHeadOnFeatures } from '../train/validation.js';
import { gatherRows } from '../util/rows.js';
import type { PhaseInput } from './phase-data.js';

/** Whether the head is solved (see {@link HeadTrainingOptions.head}); throws when `probe` cannot apply. */
export function usesProbe(
  learner: Learner,
  options: Pick<HeadTrainingOptions & TrainOptions, 'head' | 'augment'>,
): boolean {
  const solver = options.head ?? DEFAULTS.common.head;
  const needsLoop = [
    ...(resolveAugment(options.augment) ? ['augmentation'] : []),
    ...(learner.headConfig.hidden.length > 0 ? ['hidden layers'] : []),
  ];
  if (solver === 'probe' && needsLoop.length > 0) {
    throw new Error(
      `head: 'probe' solves a linear head on fixed features; with ${needsLoop.join(' and ')} use head: 'sgd' (or 'auto')`,
    );
  }
  if (solver !== 'auto' && solver !== 'probe' && solver !== 'sgd') {
    throw new Error(`head must be 'auto', 'probe' or 'sgd', got '${String(solver)}'`);
  }
  return solver === 'probe' || (solver === 'auto' && needsLoop.length === 0);
}

/**
 * Feature extraction with the SGD head: the backbone frozen, its pooled features (per augmented
 * view) computed once and cached, and only the head trained on them, batch by batch.
 */
export async function trainHeadOnFeatures(
  learner: Learner,
  { train, validation, rng, where }: PhaseInput,
  options: TrainOptions,
  phase: 'feature-extraction' | 'head',
  lr: number,
): Promise<PhaseHistory> {
  learner.backbone.trainable = false;
  ensureTrainingKernels();
  const { head, classes } = learner;
  const aug = resolveAugment(options.augment);
  const featureSeed = options.seed ?? DEFAULTS.common.seed;
  const { train: trainFeatures, validation: valFeatures } = await learner.phaseFeatures(
    { train, validation },
    aug,
    featureSeed,
    phase,
    options.callbacks,
  );
  const f = trainFeatures.data.length / (trainFeatures.views * train.length);
  // a batch's rows are copied in JS: 20× tfjs-wasm's gather, and no second copy of every feature
  const featureRows = (rows: number[]) =>
    tfc.tensor2d(gatherRows(trainFeatures.data, f, rows), [rows.length, f]);
  const labels = train.map((e) => e.classIndex);
  const classWeights = resolveClassWeights(options.classWeights, train, classes);
  const weightTensor = classWeights ? tfc.tensor1d(classWeights) : null;
  const opt = createOptimizer(options.optimizer ?? DEFAULTS.common.optimizer, lr);
  const variables = learner.headVariables();
  const phaseRng = rng.fork();
  const entered = await enterPhase(phase, where, options.resume, phaseRng, [opt]);
  learner.captureState = entered.capture;
  const runner: PhaseRunner = {
    phase,
    epochs: options.epochs ?? DEFAULTS.featureExtraction.epochs,
    batchSize: options.batchSize ?? DEFAULTS.featureExtraction.batchSize,
    examples: train.length,
    lr,
    schedule: options.schedule ?? DEFAULTS.common.schedule,
    rng: phaseRng,
    step: async (indices, rate) => {
      opt.setLearningRate(rate);
      const rows = indices.map((i) => phaseRng.int(trainFeatures.views) * train.length + i);
      const dropoutSeed = phaseRng.int(2 ** 31);
      return gradientStep(
        () => head.forward(featureRows(rows), dropoutSeed),
        {
          labels: indices.map((i) => labels[i]!),
          classWeights: weightTensor,
          variables,
          classes: classes.length,
        },
        (grads) => opt.optimizer.applyGradients(grads),
      );
    },
    validate: valFeatures
      ? () =>
          measureHeadOnFeatures(
            head,
            classes.length,
            validation.map((e) => e.classIndex),
            valFeatures.data,
          )
      : undefined,
    snapshot: snapshotOf(variables),
    callbacks: [entered.tracker, ...phaseCallbacks(options, learner.record)],
    startEpoch: entered.startEpoch,
    earlyStopping: options.earlyStopping,
    signal: options.signal,
  };
  try {
    return await runPhase(runner);
  } finally {
    learner.captureState = null;
    opt.dispose();
    weightTensor?.dispose();
  }
}
