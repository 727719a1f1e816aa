import * as tfc from '@tensorflow/tfjs-core';
import { DEFAULTS } from '../classifier/defaults.js';
import type { Learner } from '../classifier/learner.js';
import type { HeadTrainingOptions, TrainOptions } from '../classifier/options.js';
import { resolveClassWeights } from '../data/dataset.js';
import { OUTPUT_LAYER } from '../model/head.js';
import { fitLinearProbe, type LinearProbeResult, type ProbeStep } from '../probe/linear-probe.js';
import { phaseCallbacks } from '../train/callbacks.js';
import type { EpochLog, PhaseHistory, ProgressEvent } from '../train/loop.js';
import { enterPhase } from '../train/resume.js';
import { measureHeadOnFeatures } from '../train/validation.js';
import type { PhaseInput } from './phase-data.js';

/**
 * Feature extraction with the head solved, not trained: {@link fitLinearProbe} on the cached
 * features, its kernel and bias (standardisation folded in) written into the output Dense layer.
 * Reported as one epoch; the batch events are the probe's fits.
 */
export async function solveHeadOnFeatures(
  learner: Learner,
  { train, validation, rng, where }: PhaseInput,
  options: TrainOptions & HeadTrainingOptions,
  phase: 'feature-extraction' | 'head',
): Promise<PhaseHistory> {
  learner.backbone.trainable = false;
  const { classes } = learner;
  const started = Date.now();
  const seed = options.seed ?? DEFAULTS.common.seed;
  const { train: trainFeatures, validation: valFeatures } = await learner.phaseFeatures(
    { train, validation },
    null,
    seed,
    phase,
    options.callbacks,
  );
  const phaseRng = rng.fork();
  const entered = await enterPhase(phase, where, options.resume, phaseRng, []);
  learner.captureState = entered.capture;
  const callbacks = [entered.tracker, ...phaseCallbacks(options, learner.record)];
  const history: PhaseHistory = { phase, epochs: [], stopReason: 'completed' };
  if (entered.startEpoch > 1) {
    // resumed after the solve: the checkpoint already holds the solved head
    for (const cb of callbacks) await cb.onTrainEnd?.(history);
    learner.captureState = null;
    return history;
  }
  const classWeights = resolveClassWeights(options.classWeights, train, classes);
  const labels = train.map((e) => e.classIndex);
  const valLabels = validation.map((e) => e.classIndex);
  let steps = 1;
  const began = { phase, epochs: 1, examples: train.length };
  let announced = false;
  const event = (step: number, loss: number, accuracy: number, probe?: ProbeStep): ProgressEvent => {
    const elapsed = (Date.now() - started) / 1000;
    return {
      type: probe ? 'batch' : 'epoch',
      phase,
      epoch: 1,
      epochs: 1,
      batch: step,
      batches: steps,
      loss,
      accuracy,
      imagesPerSecond: elapsed > 0 ? train.length / elapsed : 0,
      etaSeconds: step > 0 ? (elapsed / step) * (steps - step) : 0,
      solver: 'probe',
      ...(probe ? { probe } : {}),
    };
  };
  try {
    const result = await fitLinearProbe(trainFeatures.data, labels, classes.length, {
      ...options.probe,
      validation: valFeatures ? { features: valFeatures.data, labels: valLabels } : null,
      sampleWeights: classWeights ? labels.map((c) => classWeights[c]!) : null,
      seed,
      signal: options.signal,
      onStep: async (s) => {
        steps = s.steps;
        if (!announced) {
          announced = true;
          for (const cb of callbacks) await cb.onTrainBegin?.({ ...began, batches: steps });
        }
        const e = event(s.step, Number.NaN, s.accuracy, s);
        for (const cb of callbacks) await cb.onBatchEnd?.(e);
      },
    });
    if (!announced) for (const cb of callbacks) await cb.onTrainBegin?.({ ...began, batches: steps });
    writeSolvedHead(learner, result);
    // the same measure as the SGD head's validation
    const measured = valFeatures
      ? await measureHeadOnFeatures(learner.head, classes.length, valLabels, valFeatures.data)
      : null;
    const seconds = (Date.now() - started) / 1000;
    const log: EpochLog = {
      phase,
      epoch: 1,
      loss: result.trainLoss,
      accuracy: result.trainAccuracy,
      ...(measured ? { val_loss: measured.loss, val_accuracy: measured.accuracy } : {}),
      lr: 0,
      seconds,
      imagesPerSecond: seconds > 0 ? train.length / seconds : 0,
      l2: result.l2,
    };
    history.epochs.push(log);
    history.probe = {
      l2: result.l2,
      selection: result.selection,
      folds: result.folds,
      heldOutFolds: result.heldOutFolds,
      score: result.score,
      path: result.path,
      iterations: result.iterations,
      converged: result.converged,
    };
    const done = { ...event(steps, log.loss, log.accuracy), log };
    for (const cb of callbacks) {
      if ((await cb.onEpochEnd?.(log, done)) === 'stop') history.stopReason = 'callback';
    }
  } catch (err) {
    if (!options.signal?.aborted) throw err;
    history.stopReason = 'aborted';
  } finally {
    learner.captureState = null;
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(history);
  return history;
}

/** The solved kernel and bias, into the head's output Dense layer. */
function writeSolvedHead(learner: Learner, result: LinearProbeResult): void {
  const output = learner.head.layers.find((l) => l.name === OUTPUT_LAYER)!;
  const k = learner.classes.length;
  const kernel = tfc.tensor2d(result.kernel, [result.kernel.length / k, k]);
  const bias = tfc.tensor1d(result.bias);
  output.setWeights([kernel, bias]);
  tfc.dispose([kernel, bias]);
}
