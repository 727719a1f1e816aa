import type { LinearProbeResult, ProbeStep } from '../probe/linear-probe.js';
import type { Random } from '../util/random.js';
import { learningRateAt, type Schedule } from './schedules.js';

/** Which part of training an event belongs to. */
export type Phase = 'feature-extraction' | 'head' | 'fine-tune';

/** One epoch's results. `val_*` only with validation data. */
export interface EpochLog {
  phase: Phase;
  /** 1-based within the phase. */
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  /** Learning rate at the epoch's last step. */
  lr: number;
  seconds: number;
  imagesPerSecond: number;
  /** The L2 strength of a solved head (`head: 'probe'`): its one "epoch" is a solve. */
  l2?: number;
}

/** A progress event, for the CLI's bars and the widget's chart alike. */
export interface ProgressEvent {
  type: 'batch' | 'epoch';
  phase: Phase;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Running mean over the epoch so far. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  /** Seconds left in this phase, estimated from the pace so far. */
  etaSeconds: number;
  /** The finished epoch's log, on `epoch` events. */
  log?: EpochLog;
  /**
   * `probe` when the head is solved rather than trained: there is one "epoch", and each `batch`
   * event is one fit of the strength search (`probe` says which; `loss` is NaN there).
   */
  solver?: 'probe';
  probe?: ProbeStep;
}

/** Hooks into training, Keras-callback style. Returning `'stop'` from onEpochEnd stops the phase. */
export interface TrainingCallbacks {
  /**
   * Images of a split run through the frozen backbone for their features so far, of the `total`
   * the feature cache lacked (before a feature-extraction or head phase's first epoch; not called
   * when every feature is cached).
   */
  onFeatures?(progress: {
    phase: Phase;
    split: 'train' | 'validation';
    done: number;
    total: number;
  }): void | Promise<void>;
  onTrainBegin?(info: {
    phase: Phase;
    epochs: number;
    batches: number;
    examples: number;
  }): void | Promise<void>;
  onBatchEnd?(event: ProgressEvent): void | Promise<void>;
  onEpochEnd?(
    log: EpochLog,
    event: ProgressEvent,
  ): 'stop' | undefined | Promise<'stop' | undefined> | void | Promise<void>;
  onTrainEnd?(history: PhaseHistory): void | Promise<void>;
}

/** Stop when a monitored metric stops improving (Keras `EarlyStopping`). */
export interface EarlyStoppingOptions {
  /** Default `val_loss` with validation data, else `loss`. */
  monitor?: 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy';
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as improvement. Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping. Default true. */
  restoreBestWeights?: boolean;
}

/** Why a phase ended. */
export type StopReason = 'completed' | 'early-stopping' | 'aborted' | 'callback';

export interface PhaseHistory {
  phase: Phase;
  epochs: EpochLog[];
  stopReason: StopReason;
  /** 1-based epoch with the best monitored value (early stopping), if monitored. */
  bestEpoch?: number;
  /** How a solved head (`head: 'probe'`) chose its L2 strength. */
  probe?: ProbeSummary;
}

/** What the linear probe chose and how it scored (see {@link LinearProbeResult}). */
export type ProbeSummary = Pick<
  LinearProbeResult,
  'l2' | 'selection' | 'folds' | 'heldOutFolds' | 'score' | 'path' | 'iterations' | 'converged'
>;

/** Saved weights: `restore` writes them back, `dispose` frees the copy. */
export interface WeightSnapshot {
  restore(): void;
  dispose(): void;
}

/** What a phase needs from its caller: one optimiser step per batch, and a validation pass. */
export interface PhaseRunner {
  phase: Phase;
  epochs: number;
  batchSize: number;
  examples: number;
  lr: number;
  schedule: Schedule;
  rng: Random;
  /** One optimiser step on the examples at `indices`; returns the batch's summed loss and correct count. */
  step(indices: number[], lr: number, epoch: number): Promise<{ lossSum: number; correct: number }>;
  validate?(): Promise<{ loss: number; accuracy: number }>;
  /** A copy of the trainable weights, for putting back the best epoch's. */
  snapshot?(): WeightSnapshot;
  callbacks?: TrainingCallbacks[];
  earlyStopping?: EarlyStoppingOptions;
  signal?: AbortSignal;
  /** 1-based epoch to start from (a resumed run); earlier epochs count for the schedule. Default 1. */
  startEpoch?: number;
}

function better(monitor: string, value: number, best: number, minDelta: number): boolean {
  return monitor.endsWith('accuracy') ? value > best + minDelta : value < best - minDelta;
}

/** How long training runs between turns it gives the event loop when it can be aborted. */
const YIELD_MS = 50;

/** Runs the epochs of one phase: shuffling, batches, schedule, validation, callbacks, stopping. */
export async function runPhase(r: PhaseRunner): Promise<PhaseHistory> {
  const batches = Math.ceil(r.examples / r.batchSize);
  const totalSteps = r.epochs * batches;
  const history: PhaseHistory = { phase: r.phase, epochs: [], stopReason: 'completed' };
  const callbacks = r.callbacks ?? [];
  for (const cb of callbacks)
    await cb.onTrainBegin?.({ phase: r.phase, epochs: r.epochs, batches, examples: r.examples });

  const es = r.earlyStopping;
  const monitor = es?.monitor ?? (r.validate ? 'val_loss' : 'loss');
  let best = monitor.endsWith('accuracy') ? -Infinity : Infinity;
  let sinceBest = 0;
  let bestWeights: WeightSnapshot | undefined;
  const phaseStart = Date.now();
  const startEpoch = r.startEpoch ?? 1;
  let stepsDone = (startEpoch - 1) * batches;
  /**
   * Seconds one whole epoch takes, validation and callbacks (checkpoints) included: the median of
   * the last finished ones, so that a first epoch slowed by warm-up does not linger and short
   * epochs, whose time is mostly that overhead, are not judged by their steps alone.
   */
  const recentEpochs: number[] = [];
  let epochSeconds: number | null = null;
  /** Seconds left in the phase, during epoch `epoch` after `batch` of its batches. */
  const etaSeconds = (epoch: number, batch: number, epochStart: number) => {
    const left = r.epochs - epoch;
    const elapsed = (Date.now() - epochStart) / 1000;
    if (epochSeconds === null) {
      // nothing finished yet: this epoch's steps so far, and the phase's pace before it (none)
      const run = stepsDone - (startEpoch - 1) * batches;
      const perStep = (Date.now() - phaseStart) / 1000 / Math.max(1, run);
      return perStep * (batches - batch) + perStep * batches * left;
    }
    return Math.max(0, epochSeconds - elapsed) + epochSeconds * left;
  };

  let yielded = 0;
  outer: for (let epoch = startEpoch; epoch <= r.epochs; epoch++) {
    const order = r.rng.shuffle(Array.from({ length: r.examples }, (_, i) => i));
    const epochStart = Date.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let lr = r.lr;
    for (let b = 0; b < batches; b++) {
      // a step on a synchronous backend (cpu, wasm) resolves in microtasks only: give the event
      // loop a turn, so that what aborts (a SIGINT handler, a Stop button) can run between steps —
      // at the start and then every YIELD_MS, not every step (a timer costs 1–4 ms, and head epochs
      // on cached features take less)
      if (r.signal && (yielded === 0 || Date.now() - yielded >= YIELD_MS)) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        yielded = Date.now();
      }
      if (r.signal?.aborted) {
        history.stopReason = 'aborted';
        break outer;
      }
      const indices = order.slice(b * r.batchSize, (b + 1) * r.batchSize);
      lr = learningRateAt(r.schedule, r.lr, stepsDone, totalSteps);
      const result = await r.step(indices, lr, epoch);
      stepsDone++;
      lossSum += result.lossSum;
      correct += result.correct;
      seen += indices.length;
      const event: ProgressEvent = {
        type: 'batch',
        phase: r.phase,
        epoch,
        epochs: r.epochs,
        batch: b + 1,
        batches,
        loss: lossSum / seen,
        accuracy: correct / seen,
        imagesPerSecond: seen / Math.max(1e-3, (Date.now() - epochStart) / 1000),
        etaSeconds: etaSeconds(epoch, b + 1, epochStart),
      };
      for (const cb of callbacks) await cb.onBatchEnd?.(event);
    }
    const seconds = (Date.now() - epochStart) / 1000;
    const log: EpochLog = {
      phase: r.phase,
      epoch,
      loss: lossSum / Math.max(1, seen),
      accuracy: correct / Math.max(1, seen),
      lr,
      seconds,
      imagesPerSecond: seen / Math.max(1e-3, seconds),
    };
    if (r.validate) {
      const v = await r.validate();
      log.val_loss = v.loss;
      log.val_accuracy = v.accuracy;
    }
    history.epochs.push(log);
    const event: ProgressEvent = {
      type: 'epoch',
      phase: r.phase,
      epoch,
      epochs: r.epochs,
      batch: batches,
      batches,
      loss: log.loss,
      accuracy: log.accuracy,
      imagesPerSecond: log.imagesPerSecond,
      etaSeconds: (epochSeconds ?? (Date.now() - epochStart) / 1000) * (r.epochs - epoch),
      log,
    };
    let stop = false;
    for (const cb of callbacks) if ((await cb.onEpochEnd?.(log, event)) === 'stop') stop = true;
    const whole = (Date.now() - epochStart) / 1000;
    recentEpochs.push(whole);
    if (recentEpochs.length > 5) recentEpochs.shift();
    const sorted = [...recentEpochs].sort((x, y) => x - y);
    epochSeconds = sorted[Math.floor((sorted.length - 1) / 2)]!;

    if (es) {
      const value = log[monitor];
      if (value === undefined)
        throw new Error(
          `early stopping monitors '${monitor}', which this run does not compute (no validation data?)`,
        );
      if (better(monitor, value, best, es.minDelta ?? 0)) {
        best = value;
        sinceBest = 0;
        history.bestEpoch = epoch;
        if ((es.restoreBestWeights ?? true) && r.snapshot) {
          bestWeights?.dispose();
          bestWeights = r.snapshot();
        }
      } else if (++sinceBest >= es.patience) {
        history.stopReason = 'early-stopping';
        break;
      }
    }
    if (stop) {
      history.stopReason = 'callback';
      break;
    }
  }
  if (bestWeights) {
    // as Keras 3: the model that comes out is the best epoch's, however the phase ended
    bestWeights.restore();
    bestWeights.dispose();
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(history);
  return history;
}
