import type { LoadedBackbone } from '@graft/zoo';
import type { AugmentOptions } from '../data/augment.js';
import type { ImageSource } from '../data/dataset.js';
import type { BackboneAccelerator } from '../features/accelerator.js';
import type { HeadOptions } from '../model/head.js';
import type { LinearProbeOptions } from '../probe/linear-probe.js';
import type { EarlyStoppingOptions, PhaseHistory, ProgressEvent, TrainingCallbacks } from '../train/loop.js';
import type { OptimizerName } from '../train/optimizers.js';
import type { Schedule } from '../train/schedules.js';
import type { TrainingState } from '../train/state.js';
import type { ClassifierServices } from './learner.js';

/** Options of {@link createClassifier}. */
export interface ClassifierOptions extends Partial<ClassifierServices> {
  /** From `loadBackbone` (without the top). The classifier takes ownership: `dispose` frees it. */
  backbone: Pick<LoadedBackbone, 'model' | 'spec'> & Partial<Pick<LoadedBackbone, 'weights'>>;
  /** Class names, in output order. */
  classes: readonly string[];
  head?: HeadOptions;
  /** Input `[height, width]`. Default the backbone spec's. */
  inputSize?: readonly [number, number];
  /** Layer to pool features from. Default the spec's (`conv5_block3_out` for ResNet50). */
  featureLayer?: string;
  /** Seeds the head's initial weights. Default 0. */
  seed?: number;
  /** Runs the frozen backbone on a faster engine (ONNX Runtime in Node); default none (tfjs). */
  accelerator?: BackboneAccelerator | null;
}

/** Validation data: a separate source, or a stratified fraction of the training data. */
export type ValidationOption = ImageSource | { split: number };

/** Options of every training call. Defaults: {@link DEFAULTS}. */
export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Learning rate. */
  lr?: number;
  optimizer?: OptimizerName;
  schedule?: Schedule;
  validation?: ValidationOption;
  /** Seeds shuffling, splitting, augmentation and dropout. */
  seed?: number;
  /** Random flips, crops, brightness and contrast; `true` for defaults. */
  augment?: AugmentOptions | boolean;
  /** `'auto'` balances classes by their counts; or a weight per class name. */
  classWeights?: 'auto' | Record<string, number>;
  earlyStopping?: EarlyStoppingOptions;
  callbacks?: TrainingCallbacks[];
  /** Shortcut for a callback that receives every batch and epoch event. */
  onProgress?: (event: ProgressEvent) => void;
  /** Stops after the current batch; the model keeps its last consistent weights. */
  signal?: AbortSignal;
  /**
   * Continue a run from a state saved at the end of an epoch (`trainingState()`), on the model
   * loaded from the checkpoint of that epoch, with the same data and options: the result is the
   * same as a run that was never interrupted.
   */
  resume?: TrainingState;
}

/** How feature extraction trains the head. */
export type HeadSolver = 'auto' | 'probe' | 'sgd';

/** Options of the solved head ({@link fitLinearProbe}) that training passes on. */
export type ProbeOptions = Pick<LinearProbeOptions, 'l2' | 'folds' | 'maxIterations' | 'gradientTolerance'>;

/** How the new head on frozen features is trained. */
export interface HeadTrainingOptions {
  /**
   * `probe`: multinomial logistic regression on the cached features solved to optimum (L-BFGS, L2
   * strength chosen by cross-validation, or on the validation set when there is one); epochs,
   * batch size, rate, optimizer and schedule do not apply. `sgd`: the mini-batch loop. `auto`:
   * `probe` unless the head has hidden layers or training augments images, which need the loop.
   */
  head?: HeadSolver;
  /** With the probe: the L2 strength (or grid), folds and solver limits. */
  probe?: ProbeOptions;
}

/** How layers of the backbone train. */
export interface FineTuningOptions {
  /** Layers to freeze (Keras index or a layer name). Default: the spec's `fineTune.defaultFreeze`. */
  freeze?: number | string;
  /** Let unfrozen BatchNormalization layers use batch statistics and update them. */
  trainBatchNorm?: boolean;
  /**
   * Without augmentation, compute the frozen layers' outputs once and run only the unfrozen ones
   * each step (the same numbers, much less work; validation too). Up to
   * `frozenActivationMemoryBytes` they stay in memory; above, in the `activationStore` where one is
   * set (the CLI: float16 in a file), else the prefix runs every step.
   */
  cacheFrozenActivations?: boolean;
  /** Discriminative rates: stage rates spread geometrically from lr / lrMult (earliest unfrozen stage) to lr (the head). */
  lrMult?: number;
  /**
   * Run each step in parts of this many examples and add up their gradients (the same step in
   * less memory). Default: the whole batch, except on the wasm backend, where it is chosen to stay
   * inside its 4 GB heap.
   */
  microBatch?: number;
}

/** Options of `fit`. */
export interface FitOptions extends TrainOptions, HeadTrainingOptions, FineTuningOptions {
  /** `feature-extraction` (default): frozen backbone, cached features. `fine-tune`: one phase with `freeze`. */
  strategy?: 'feature-extraction' | 'fine-tune';
}

/**
 * Options of `fineTune`, fastai's `fine_tune` in two phases. Phase one is the new head on the
 * frozen backbone's cached features: `head` `auto` and `probe` solve it to optimum as `fit` does
 * (linear probing, then fine-tuning: LP-FT, Kumar et al. 2022, so that phase two starts from the
 * best head rather than a half-trained one); `sgd` trains it for `headEpochs`. Phase two trains the
 * layers after `freeze` for `epochs` at `lr`.
 */
export interface FineTuneOptions extends TrainOptions, HeadTrainingOptions, FineTuningOptions {
  /** Phase one with `head: 'sgd'`: epochs training only the head; 0 skips phase one. */
  headEpochs?: number;
  /** Phase one learning rate. */
  headLr?: number;
}

/** What training returns. */
export interface TrainingHistory {
  phases: PhaseHistory[];
  /** `completed` unless a phase stopped early or was aborted. */
  stopReason: PhaseHistory['stopReason'];
  /** The ids of the examples each split used (the validation split is seeded and stratified). */
  data: { train: string[]; validation: string[] };
}
