import { preprocess } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { DEFAULTS } from '../classifier/defaults.js';
import type { Learner } from '../classifier/learner.js';
import type { FineTuningOptions, TrainOptions } from '../classifier/options.js';
import { currentArtifacts } from '../classifier/save.js';
import { augmentImage, resolveAugment } from '../data/augment.js';
import { toInputBatch } from '../data/batch.js';
import { type Example, resolveClassWeights } from '../data/dataset.js';
import { freezeBackbone } from '../model/freeze.js';
import { runSuffix } from '../model/frozen-prefix.js';
import { phaseCallbacks, snapshotOf } from '../train/callbacks.js';
import { ensureTrainingKernels } from '../train/kernels.js';
import { type PhaseHistory, type PhaseRunner, runPhase } from '../train/loop.js';
import { automaticMicroBatch } from '../train/micro-batch.js';
import { createOptimizer, type ScheduledOptimizer } from '../train/optimizers.js';
import { enterPhase } from '../train/resume.js';
import { gradientStep, type RemoteParts } from '../train/step.js';
import { measureHead } from '../train/validation.js';
import { hashSeed } from '../util/hash-seed.js';
import { Random } from '../util/random.js';
import { gatherRows } from '../util/rows.js';
import { computeFrozenActivations } from './frozen-activations.js';
import type { PhaseInput } from './phase-data.js';
import { workerPool } from './worker-pool.js';

/**
 * Fine-tuning: the layers from `freeze` on train with the head, at discriminative rates by stage.
 * Without augmentation the frozen prefix runs once (its activations kept) and each step runs only
 * the unfrozen suffix, whose parts may run on other cores' replicas.
 */
export async function trainEndToEnd(
  learner: Learner,
  { train, validation, rng, where }: PhaseInput,
  options: TrainOptions & FineTuningOptions,
  freeze: number,
  lr: number,
): Promise<PhaseHistory> {
  ensureTrainingKernels(); // convolutions train on every backend, wasm included
  const { backbone, head, classes, info, stats } = learner;
  const { featureLayer, inputSize, preprocessing } = info;
  const featureModel = learner.runner.featureModel;
  const trainBatchNorm = options.trainBatchNorm ?? DEFAULTS.fineTune.trainBatchNorm;
  const frozen = freezeBackbone(backbone, freeze, trainBatchNorm, info.stageOf);
  const aug = resolveAugment(options.augment);
  const batchSize = options.batchSize ?? DEFAULTS.fineTune.batchSize;
  // pixels are made per batch from the examples: a whole set as one tensor would fill the wasm heap
  const pixels = (examples: readonly Example[]) =>
    toInputBatch(
      examples,
      inputSize,
      examples.map((e) => e.id),
    );
  stats.frozenActivationStore = 'none';
  const cache = !aug && (options.cacheFrozenActivations ?? DEFAULTS.fineTune.cacheFrozenActivations);
  const frozenPrefix = cache ? await computeFrozenActivations(learner, freeze, train) : null;
  const frozenValidation = frozenPrefix ? await computeFrozenActivations(learner, freeze, validation) : null;
  learner.markBackboneChanged(); // from here on the unfrozen layers train
  stats.frozenActivationBytes = frozenPrefix?.bytes ?? 0;
  const microBatch =
    options.microBatch ??
    automaticMicroBatch(backbone, frozenPrefix ? freeze : 0, featureLayer, inputSize, batchSize);
  stats.microBatch = microBatch;
  const labels = train.map((e) => e.classIndex);
  const classWeights = resolveClassWeights(options.classWeights, train, classes);
  const weightTensor = classWeights ? tfc.tensor1d(classWeights) : null;

  // Discriminative rates: stage groups spread geometrically from lr/lrMult (earliest) to lr.
  const lrMult = options.lrMult ?? DEFAULTS.fineTune.lrMult;
  const groups = [...frozen.groups, { name: 'head', variables: learner.headVariables() }];
  const factors = groups.map((_, i) =>
    groups.length === 1 ? 1 : lrMult ** (-(groups.length - 1 - i) / (groups.length - 1)),
  );
  const optimizers: ScheduledOptimizer[] = groups.map((_, i) =>
    createOptimizer(options.optimizer ?? DEFAULTS.common.optimizer, lr * factors[i]!),
  );
  const variables = groups.flatMap((g) => g.variables);
  const phaseRng = rng.fork();
  const augSeed = phaseRng.int(2 ** 31);
  const entered = await enterPhase('fine-tune', where, options.resume, phaseRng, optimizers);
  learner.captureState = entered.capture;
  // other cores compute parts of each step, from the frozen activations (inference-mode BN only)
  const workers = workerPool(
    frozenPrefix && !trainBatchNorm ? learner.services.stepWorkers : null,
    variables,
    async () => ({
      artifacts: await currentArtifacts(learner),
      freeze,
      trainableLayers: backbone.layers.slice(freeze).map((l) => l.name),
    }),
  );
  stats.stepWorkers = workers.size;

  const forward = (x: tfc.Tensor4D, dropoutSeed?: number) => {
    const features = featureModel.apply(preprocess(x, preprocessing), {
      training: trainBatchNorm,
    }) as tfc.Tensor4D;
    return head.forward(tfc.mean(features, [1, 2]) as tfc.Tensor2D, dropoutSeed);
  };
  const augmented = (chosen: number[], epoch: number) =>
    tfc.concat(
      chosen.map((i) =>
        augmentImage(train[i]!, inputSize, aug!, new Random(hashSeed(`${augSeed}:${epoch}:${i}`))),
      ),
      0,
    ) as tfc.Tensor4D;

  const runner: PhaseRunner = {
    phase: 'fine-tune',
    epochs: options.epochs ?? DEFAULTS.fineTune.epochs,
    batchSize,
    examples: train.length,
    lr,
    schedule: options.schedule ?? DEFAULTS.common.schedule,
    rng: phaseRng,
    step: async (indices, rate, epoch) => {
      for (const [i, o] of optimizers.entries()) o.setLearningRate(rate * factors[i]!);
      const dropoutSeed = phaseRng.int(2 ** 31);
      const fetched = frozenPrefix ? await frozenPrefix.rows(indices) : null;
      await workers.sync();
      // one dropout seed per part: a step split into micro-batches stays reproducible
      const probabilities = (rows: number[], part: number) => {
        const chosen = rows.map((r) => indices[r]!);
        if (!frozenPrefix || !fetched) {
          const x = aug ? augmented(chosen, epoch) : pixels(chosen.map((i) => train[i]!));
          return forward(x, dropoutSeed + part);
        }
        const suffix = runSuffix(
          frozenPrefix.plan,
          featureLayer,
          frozenPrefix.tensors(fetched, rows),
          trainBatchNorm,
        );
        return head.forward(tfc.mean(suffix, [1, 2]) as tfc.Tensor2D, dropoutSeed + part);
      };
      const remote: RemoteParts | undefined =
        workers.size > 0 && fetched
          ? {
              workers: workers.size,
              run: (worker, part, rows) =>
                workers.step(worker, {
                  rows: fetched.map((values) => gatherRows(values, values.length / indices.length, rows)),
                  labels: rows.map((r) => labels[indices[r]!]!),
                  dropoutSeed: dropoutSeed + part,
                  batch: indices.length,
                  classWeights: classWeights ?? null,
                }),
            }
          : undefined;
      return gradientStep(
        probabilities,
        {
          labels: indices.map((i) => labels[i]!),
          classWeights: weightTensor,
          variables,
          classes: classes.length,
        },
        (grads) => {
          for (const [i, g] of groups.entries()) {
            const mine: tfc.NamedTensorMap = {};
            for (const v of g.variables) if (grads[v.name]) mine[v.name] = grads[v.name]!;
            optimizers[i]!.optimizer.applyGradients(mine);
          }
        },
        microBatch,
        remote,
      );
    },
    validate:
      validation.length > 0
        ? () =>
            // inference only: predict frees each layer's input as it goes, so batches can be larger
            measureHead(
              head,
              classes.length,
              validation.map((e) => e.classIndex),
              Math.max(batchSize, 64),
              async (start, n) => {
                const positions = Array.from({ length: n }, (_, i) => i);
                const fetched = frozenValidation
                  ? await frozenValidation.rows(positions.map((i) => start + i))
                  : null;
                return () =>
                  tfc.mean(
                    frozenValidation && fetched
                      ? runSuffix(
                          frozenValidation.plan,
                          featureLayer,
                          frozenValidation.tensors(fetched, positions),
                          false,
                        )
                      : (featureModel.predict(
                          preprocess(pixels(validation.slice(start, start + n)), preprocessing),
                        ) as tfc.Tensor4D),
                    [1, 2],
                  ) as tfc.Tensor2D;
              },
            )
        : undefined,
    snapshot: snapshotOf(variables),
    callbacks: [entered.tracker, ...phaseCallbacks(options, learner.record)],
    startEpoch: entered.startEpoch,
    earlyStopping: options.earlyStopping,
    signal: options.signal,
  };
  try {
    const history = await runPhase(runner);
    learner.record.strategy = 'fine-tune';
    learner.record.freeze = freeze;
    return history;
  } finally {
    learner.captureState = null;
    await frozenPrefix?.dispose();
    await frozenValidation?.dispose();
    await workers.stop();
    frozen.release();
    for (const o of optimizers) o.dispose();
    weightTensor?.dispose();
  }
}
