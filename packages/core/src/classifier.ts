import {
  backendReady,
  type ClassScore,
  getModel,
  type LoadedBackbone,
  type PreprocessingMode,
  preprocess,
  preprocessPixels,
  sha256Hex,
  topK,
} from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULTS } from './classifier/defaults.js';
import { type AugmentOptions, augmentImage, type ResolvedAugment, resolveAugment } from './data/augment.js';
import { toInputBatch, toInputPixels } from './data/batch.js';
import {
  collectExamples,
  type Example,
  type ImageSource,
  resolveClassWeights,
  stratifiedSplit,
  validateTrainingSet,
} from './data/dataset.js';
import type { RgbImage } from './data/image.js';
import {
  type AcceleratedRunner,
  type BackboneAccelerator,
  weightsKeyFromIdentity,
  weightsKeyOf,
} from './features/accelerator.js';
import { type FeatureCache, featureKey, InMemoryFeatureCache } from './features/cache.js';
import { type ClassifierManifest, checkManifest, MANIFEST_FORMAT_VERSION } from './manifest.js';
import { classificationReport, type EvaluationReport } from './metrics.js';
import { freezeBackbone, resolveFreezeIndex } from './model/freeze.js';
import {
  type ActivationStoreFactory,
  boundaryTensors,
  FrozenActivations,
  memoryActivationStore,
  planFrozenPrefix,
  runSuffix,
} from './model/frozen-prefix.js';
import {
  buildWholeModel,
  createHead,
  HEAD_LAYER_PREFIX,
  type Head,
  type HeadOptions,
  headFromLayers,
  OUTPUT_LAYER,
  POOL_LAYER,
} from './model/head.js';
import { fitLinearProbe, type LinearProbeOptions, type ProbeStep } from './probe/linear-probe.js';
import { installBatchNormGradient } from './train/batch-norm-gradient.js';
import { installConvGradients } from './train/conv-gradients.js';
import {
  type EarlyStoppingOptions,
  type EpochLog,
  type Phase,
  type PhaseHistory,
  type PhaseRunner,
  type ProgressEvent,
  runPhase,
  type TrainingCallbacks,
  type WeightSnapshot,
} from './train/loop.js';
import { automaticMicroBatch } from './train/micro-batch.js';
import { createOptimizer, type OptimizerName, type ScheduledOptimizer } from './train/optimizers.js';
import type { Replica, ReplicaGradients, ReplicaSetup, StepWorkers } from './train/replica.js';
import type { Schedule } from './train/schedules.js';
import { TRAINING_STATE_VERSION, type TrainingState } from './train/state.js';
import { installWasmMatMul } from './train/wasm-matmul.js';
import { Random } from './util/random.js';
import { gatherRows } from './util/rows.js';
import { CORE_VERSION } from './version.js';

/** What the classifier needs to know about its backbone. */
export interface BackboneInfo {
  id: string;
  architecture: string;
  preprocessing: PreprocessingMode;
  inputSize: readonly [number, number];
  featureLayer: string;
  /** Where fine-tuning freezes by default (from the spec's `fineTune.defaultFreeze`). */
  defaultFreeze: string;
  weights: { source: string; id: string };
}

/** Options of {@link createClassifier}. */
export interface ClassifierOptions {
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
}

/** Validation data: a separate source, or a stratified fraction of the training data. */
export type ValidationOption = ImageSource | { split: number };

/** Options shared by both strategies. */
export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Learning rate. Default 1e-3 (feature extraction and the head phase). */
  lr?: number;
  optimizer?: OptimizerName;
  schedule?: Schedule;
  validation?: ValidationOption;
  /** Seeds shuffling, splitting, augmentation and dropout. Default 0. */
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

/** Options of the solved head ({@link fitLinearProbe}) that `fit` passes on. */
export type ProbeOptions = Pick<LinearProbeOptions, 'l2' | 'folds' | 'maxIterations' | 'gradientTolerance'>;

/** Options of `fit`. */
export interface FitOptions extends TrainOptions {
  /** `feature-extraction` (default): frozen backbone, cached features. `fine-tune`: one phase with `freeze`. */
  strategy?: 'feature-extraction' | 'fine-tune';
  /**
   * How feature extraction trains the head. `probe`: multinomial logistic regression on the
   * cached features solved to optimum (L-BFGS, L2 strength chosen by cross-validation, or on the
   * validation set when there is one); `epochs`, `batchSize`, `lr`, `optimizer` and `schedule`
   * do not apply. `sgd`: the mini-batch loop. `auto` (default): `probe` unless the head has hidden
   * layers or training augments images, which need the loop.
   */
  head?: HeadSolver;
  /** With the probe: the L2 strength (or grid), folds and solver limits. */
  probe?: ProbeOptions;
  /** With `strategy: 'fine-tune'`: layers to freeze (Keras index or a layer name). */
  freeze?: number | string;
  /** Let unfrozen BatchNormalization layers use batch statistics and update them. Default false. */
  trainBatchNorm?: boolean;
  /**
   * Without augmentation, compute the frozen layers' outputs once and run only the unfrozen ones
   * each step (the same numbers, much less work; validation too). Default true. Up to 1 GB they
   * stay in memory; above, in `clf.activationStore` where one is set (the CLI: float16 in a file),
   * else the prefix runs every step.
   */
  cacheFrozenActivations?: boolean;
  /** Discriminative rates: stage rates spread geometrically from lr / lrMult (earliest unfrozen stage) to lr (the head). Default 1. */
  lrMult?: number;
  /**
   * Run each step in parts of this many examples and add up their gradients (the same step in
   * less memory). Default: the whole batch, except on the wasm backend, where it is chosen to stay
   * inside its 4 GB heap.
   */
  microBatch?: number;
}

/** Options of `fineTune`: fastai's `fine_tune`, two phases. */
export interface FineTuneOptions extends Omit<TrainOptions, 'lr'> {
  /** Layers to freeze in phase two (Keras index or name). Default: the backbone spec's `fineTune.defaultFreeze` (ResNet50: up to `conv4_block6_out`, conv5 trains). */
  freeze?: number | string;
  /**
   * Phase one, the new head on the frozen backbone's cached features. `auto` (default) and `probe`
   * solve it to optimum as `fit` does (linear probing, then fine-tuning: LP-FT, Kumar et al. 2022,
   * so that phase two starts from the best head rather than a half-trained one); `sgd` trains it
   * for `headEpochs`. `auto` means `sgd` with augmentation or hidden layers.
   */
  head?: HeadSolver;
  /** Phase one with the probe: the L2 strength (or grid), folds and solver limits. */
  probe?: ProbeOptions;
  /** Phase one: epochs training only the head (on cached features) with `head: 'sgd'`; 0 skips phase one. Default 1. */
  headEpochs?: number;
  /** Phase one learning rate. Default 1e-3. */
  headLr?: number;
  /** Phase two: epochs with the unfrozen layers. Default 5. */
  epochs?: number;
  /** Phase two learning rate (of the last stage and the head). Default 1e-4. */
  lr?: number;
  /** Phase two: rates spread geometrically from lr / lrMult (earliest unfrozen stage) to lr (the head). Default 1. */
  lrMult?: number;
  trainBatchNorm?: boolean;
  /** As in {@link FitOptions}. Default true. */
  cacheFrozenActivations?: boolean;
  /** As in {@link FitOptions}. */
  microBatch?: number;
}

/** What training returns. */
export interface TrainingHistory {
  phases: PhaseHistory[];
  /** `completed` unless a phase stopped early or was aborted. */
  stopReason: PhaseHistory['stopReason'];
  /** The ids of the examples each split used (the validation split is seeded and stratified). */
  data: { train: string[]; validation: string[] };
}

/** One image's prediction. */
export interface Prediction {
  label: string;
  index: number;
  probability: number;
  /** The `topK` best classes, highest first. */
  top: ClassScore[];
  probabilities: number[];
}

/** Evaluation with each example's outcome, for reports. */
export interface ClassifierEvaluation extends EvaluationReport {
  predictions: { id: string; label: string; predicted: string; probability: number; correct: boolean }[];
}

/** Counters that show what work was done (and what was not repeated). */
export interface ClassifierStats {
  /** Images (or augmented views) run through the backbone for features. */
  backboneImages: number;
  /** Feature vectors found in the cache instead. */
  featureCacheHits: number;
  /** Bytes (as float32) of frozen-prefix activations the last fine-tuning phase kept (0: it ran the prefix each step). */
  frozenActivationBytes: number;
  /** Where they were kept: in memory, in `clf.activationStore`, or nowhere. */
  frozenActivationStore: 'memory' | 'store' | 'none';
  /** Examples per part of a step in the last fine-tuning phase (the batch size: not split). */
  microBatch: number;
  /** Replicas that computed parts of each step alongside this thread in the last fine-tuning phase. */
  stepWorkers: number;
}

/** Where fine-tuning freezes when neither the call nor the backbone's spec says. */
const DEFAULT_FINE_TUNE_FREEZE = 'conv4_block6_out';
/** Above this, frozen-prefix activations are recomputed each step rather than kept. */

function infoFromBackbone(options: ClassifierOptions): BackboneInfo {
  const { spec } = options.backbone;
  return {
    id: spec.id,
    architecture: spec.architecture,
    preprocessing: spec.preprocessing,
    inputSize: options.inputSize ?? spec.inputSize,
    featureLayer: options.featureLayer ?? spec.featureLayer,
    defaultFreeze: spec.fineTune?.defaultFreeze ?? DEFAULT_FINE_TUNE_FREEZE,
    weights: options.backbone.weights ?? { source: 'unknown', id: 'unknown' },
  };
}

/**
 * A new image classifier on a pretrained backbone: global average pooling, dropout and a softmax
 * Dense layer on top of `featureLayer`, as in the Keras transfer-learning guide.
 */
export function createClassifier(options: ClassifierOptions): Classifier {
  if (options.classes.length < 2) {
    throw new Error(`a classifier needs at least two classes, got ${options.classes.length}`);
  }
  const info = infoFromBackbone(options);
  const model = options.backbone.model;
  if (model.layers.some((l) => l.name === 'predictions' || l.name === 'probs')) {
    throw new Error('the backbone still has its ImageNet top; load it with includeTop: false');
  }
  try {
    model.getLayer(info.featureLayer);
  } catch {
    throw new Error(`the backbone has no layer named '${info.featureLayer}'`);
  }
  const head = createHead(options.classes.length, options.head, options.seed ?? 0);
  return new Classifier(model, info, [...options.classes], head, {
    dropout: options.head?.dropout ?? DEFAULTS.head.dropout,
    hidden: options.head?.hidden ?? [],
  });
}

/** A backbone and a head that learn a new image task. Create one with {@link createClassifier}. */
export class Classifier {
  /** backbone → pooled features → head, sharing all weights with the parts. */
  readonly model: tfl.LayersModel;
  /** The backbone up to the feature layer (inference-time view, shared weights). */
  private readonly featureModel: tfl.LayersModel;
  readonly stats: ClassifierStats = {
    backboneImages: 0,
    featureCacheHits: 0,
    frozenActivationBytes: 0,
    frozenActivationStore: 'none',
    microBatch: 0,
    stepWorkers: 0,
  };
  private strategy: ClassifierManifest['strategy'] = 'untrained';
  private lastFreeze: number | undefined;
  private lastMetrics: Record<string, number> = {};
  /** Captures the running phase's state; set while a phase trains. */
  private captureState: (() => Promise<TrainingState>) | null = null;
  /** Where features are kept between fits; replace it with a persistent one (disk, IndexedDB). */
  featureCache: FeatureCache = new InMemoryFeatureCache();
  /**
   * Runs the frozen backbone (features; the frozen prefix when fine-tuning) on a faster engine,
   * e.g. ONNX Runtime in Node; null (default) keeps everything in tfjs.
   */
  accelerator: BackboneAccelerator | null = null;
  /**
   * Keeps frozen-prefix activations too large for memory (`frozenActivationMemoryBytes`) between
   * fine-tuning epochs,
   * e.g. the CLI's float16 file; null (default) runs the prefix every step for such sets instead.
   */
  activationStore: ActivationStoreFactory | null = null;
  /**
   * Replicas on other cores (the CLI: worker threads) that compute parts of each fine-tuning step
   * from frozen activations; null (default) computes every part on this thread.
   */
  stepWorkers: StepWorkers | null = null;
  /** Frozen-prefix activations up to this many bytes (as float32) stay in memory. Default 1 GB. */
  frozenActivationMemoryBytes: number = DEFAULTS.frozenActivationMemoryBytes;
  /** Compiled frozen parts, by outputs and mode; cleared whenever backbone weights change. */
  private readonly runners = new Map<string, Promise<AcceleratedRunner | null>>();
  /** The backbone's weights differ from `info.weights` (fine-tuned): cached features do not apply. */
  private backboneChanged = false;
  /** The backbone's weights as `save` encodes them, kept while they are the loaded ones. */
  private encodedBackbone: Promise<{ data: tfc.io.WeightData; specs: tfc.io.WeightsManifestEntry[] }> | null =
    null;

  /** @internal use {@link createClassifier} or {@link loadClassifier} */
  constructor(
    readonly backbone: tfl.LayersModel,
    readonly info: BackboneInfo,
    readonly classes: string[],
    private readonly head: Head,
    private readonly headConfig: { dropout: number; hidden: number[] },
    whole?: tfl.LayersModel,
  ) {
    this.model = whole ?? buildWholeModel(backbone, info.featureLayer, head);
    this.featureModel = tfl.model({
      inputs: backbone.inputs,
      outputs: backbone.getLayer(info.featureLayer).output as tfl.SymbolicTensor,
    });
  }

  /** Trains with the backbone frozen (default) or, with `strategy: 'fine-tune'`, one fine-tuning phase. */
  async fit(data: ImageSource, options: FitOptions = {}): Promise<TrainingHistory> {
    checkResume(options.resume, 'fit');
    const rng = new Random(options.seed ?? DEFAULTS.common.seed);
    const { train, validation } = await this.prepare(data, options.validation, rng);
    if ((options.strategy ?? 'feature-extraction') === 'feature-extraction') {
      if (this.usesProbe(options)) {
        const phase = await this.solveHeadOnFeatures(train, validation, options, rng, 'feature-extraction', {
          method: 'fit',
          phaseIndex: 0,
        });
        this.strategy = 'feature-extraction';
        return { phases: [phase], stopReason: phase.stopReason, data: idsOf(train, validation) };
      }
      const phase = await this.trainHeadOnFeatures(
        train,
        validation,
        options,
        rng,
        'feature-extraction',
        options.lr ?? DEFAULTS.featureExtraction.lr,
        { method: 'fit', phaseIndex: 0 },
      );
      this.strategy = 'feature-extraction';
      return { phases: [phase], stopReason: phase.stopReason, data: idsOf(train, validation) };
    }
    const freeze = resolveFreezeIndex(this.backbone, options.freeze ?? this.info.defaultFreeze);
    const phase = await this.trainEndToEnd(
      train,
      validation,
      options,
      rng,
      freeze,
      options.lr ?? DEFAULTS.fineTune.lr,
      {
        method: 'fit',
        phaseIndex: 0,
      },
    );
    return { phases: [phase], stopReason: phase.stopReason, data: idsOf(train, validation) };
  }

  /**
   * fastai's `fine_tune`: `headEpochs` training the new head on the frozen backbone, then `epochs`
   * with the layers after `freeze` unfrozen at a lower rate (`lrMult` spreads rates over stages).
   */
  async fineTune(data: ImageSource, options: FineTuneOptions = {}): Promise<TrainingHistory> {
    checkResume(options.resume, 'fineTune');
    const rng = new Random(options.seed ?? DEFAULTS.common.seed);
    const freeze = resolveFreezeIndex(this.backbone, options.freeze ?? this.info.defaultFreeze);
    const { train, validation } = await this.prepare(data, options.validation, rng);
    const phases: PhaseHistory[] = [];
    const headEpochs = options.headEpochs ?? DEFAULTS.fineTune.headEpochs;
    if (headEpochs > 0 && (options.resume?.phaseIndex ?? 0) > 0) {
      rng.fork(); // the head phase is done: keep the generator where that phase left it
    } else if (headEpochs > 0 && this.usesProbe(options)) {
      const first = await this.solveHeadOnFeatures(train, validation, options, rng, 'head', {
        method: 'fineTune',
        phaseIndex: 0,
      });
      phases.push(first);
      this.strategy = 'feature-extraction';
      if (first.stopReason === 'aborted')
        return { phases, stopReason: 'aborted', data: idsOf(train, validation) };
    } else if (headEpochs > 0) {
      const first = await this.trainHeadOnFeatures(
        train,
        validation,
        { ...options, epochs: headEpochs, earlyStopping: undefined },
        rng,
        'head',
        options.headLr ?? DEFAULTS.fineTune.headLr,
        { method: 'fineTune', phaseIndex: 0 },
      );
      phases.push(first);
      this.strategy = 'feature-extraction';
      if (first.stopReason === 'aborted')
        return { phases, stopReason: 'aborted', data: idsOf(train, validation) };
    }
    const second = await this.trainEndToEnd(
      train,
      validation,
      options,
      rng,
      freeze,
      options.lr ?? DEFAULTS.fineTune.lr,
      {
        method: 'fineTune',
        phaseIndex: 1,
      },
    );
    phases.push(second);
    return { phases, stopReason: second.stopReason, data: idsOf(train, validation) };
  }

  /** Class probabilities and the top classes for each image. */
  async predict(
    images: readonly RgbImage[],
    options: { topK?: number; batchSize?: number } = {},
  ): Promise<Prediction[]> {
    const probabilities = await this.probabilities(images, options.batchSize ?? DEFAULTS.predict.batchSize);
    const k = Math.min(options.topK ?? DEFAULTS.predict.topK, this.classes.length);
    return probabilities.map((row) => {
      const top = topK(row, k, this.classes);
      const best = top[0]!;
      return {
        label: best.label,
        index: best.index,
        probability: best.probability,
        top,
        probabilities: Array.from(row),
      };
    });
  }

  /** Accuracy, top-k, loss, confusion matrix and per-class precision/recall/F1 on labelled data. */
  async evaluate(data: ImageSource, options: { batchSize?: number } = {}): Promise<ClassifierEvaluation> {
    const examples = await collectExamples(data, this.classes);
    const probabilities = this.backboneChanged
      ? await this.probabilities(
          examples,
          options.batchSize ?? DEFAULTS.predict.batchSize,
          examples.map((e) => e.id),
        )
      : await this.probabilitiesFromFeatures(examples);
    const report = classificationReport(
      probabilities,
      examples.map((e) => e.classIndex),
      this.classes,
    );
    const predictions = examples.map((e, i) => {
      const row = probabilities[i]!;
      const best = topK(row, 1, this.classes)[0]!;
      return {
        id: e.id,
        label: e.label,
        predicted: best.label,
        probability: best.probability,
        correct: best.index === e.classIndex,
      };
    });
    return { ...report, predictions };
  }

  /**
   * The state of the phase that is training, as of the last finished epoch: call it from an
   * `onEpochEnd` callback and save it beside a checkpoint to resume from there later.
   */
  async trainingState(): Promise<TrainingState> {
    if (!this.captureState)
      throw new Error('trainingState() is only available while fit or fineTune runs (e.g. in onEpochEnd)');
    return this.captureState();
  }

  /** What `save` writes as `graft.json` (and into model.json's metadata). */
  manifest(): ClassifierManifest {
    return {
      format: 'graft-classifier',
      formatVersion: MANIFEST_FORMAT_VERSION,
      library: { name: '@graft/core', version: CORE_VERSION },
      labels: [...this.classes],
      backbone: { id: this.info.id, architecture: this.info.architecture, weights: { ...this.info.weights } },
      featureLayer: this.info.featureLayer,
      inputSize: [this.info.inputSize[0], this.info.inputSize[1]],
      preprocessing: this.info.preprocessing,
      strategy: this.strategy,
      ...(this.lastFreeze !== undefined ? { freeze: this.lastFreeze } : {}),
      head: { ...this.headConfig },
      metrics: { ...this.lastMetrics },
      createdAt: new Date().toISOString(),
    };
  }

  /**
   * Saves the whole model (backbone + head, one TF.js layers model that plain `tf.loadLayersModel`
   * loads) with the manifest in its metadata. `destination` is any tfjs save handler or URL scheme
   * (`indexeddb://…`, `downloads://…`, an `http(s)` endpoint, or the CLI's file handler).
   */
  async save(destination: string | tfc.io.IOHandler): Promise<tfc.io.SaveResult> {
    const handler = resolveSaveHandler(destination);
    this.model.setUserDefinedMetadata({ graft: this.manifest() });
    const inBackbone = new Set(this.backbone.weights.map((w) => w.id));
    const backboneWeights = this.model.weights.filter((w) => inBackbone.has(w.id));
    const otherWeights = this.model.weights.filter((w) => !inBackbone.has(w.id));
    const named = (weights: tfl.LayerVariable[]) =>
      weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
    // Unchanged backbone weights are encoded once: a checkpoint per epoch then costs the head only,
    // and a save handler may recognise the same buffer (the CLI links the file it already wrote).
    const encodeBackbone = () => tfc.io.encodeWeights(named(backboneWeights));
    if (this.backboneChanged) this.encodedBackbone = null;
    else this.encodedBackbone ??= encodeBackbone();
    const backbone = await (this.encodedBackbone ?? encodeBackbone());
    const rest = await tfc.io.encodeWeights(named(otherWeights));
    return handler.save!({
      modelTopology: this.model.toJSON(null, false) as tfc.io.ModelJSON['modelTopology'],
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
      convertedBy: null,
      userDefinedMetadata:
        this.model.getUserDefinedMetadata() as tfc.io.ModelArtifacts['userDefinedMetadata'],
      weightSpecs: [...backbone.specs, ...rest.specs],
      weightData: [backbone.data as ArrayBuffer, rest.data as ArrayBuffer],
    });
  }

  /** Frees the backbone, the head and everything built on them. */
  dispose(): void {
    this.releaseRunners();
    this.model.dispose();
  }

  /** @internal loadClassifier marks a fine-tuned model: its features are not the pretrained ones. */
  markBackboneChanged(): void {
    this.backboneChanged = true;
    this.encodedBackbone = null;
    this.releaseRunners();
  }

  private releaseRunners(): void {
    for (const runner of this.runners.values()) void runner.then((r) => r?.dispose()).catch(() => {});
    this.runners.clear();
  }

  /** The accelerated frozen backbone for these outputs, compiled once; null without an accelerator. */
  private runnerFor(outputs: string[], mode: 'pooled' | 'nhwc'): Promise<AcceleratedRunner | null> {
    const accelerator = this.accelerator;
    if (!accelerator) return Promise.resolve(null);
    const key = `${mode}:${outputs.join(',')}`;
    let runner = this.runners.get(key);
    if (!runner) {
      runner = (async () => {
        // weights as loaded are named by their file's hash (no 95 MB hash per run); trained ones by content
        const weightsKey =
          (!this.backboneChanged && (await weightsKeyFromIdentity(this.info.id, this.info.weights.id))) ||
          (await weightsKeyOf(this.backbone, outputs));
        return accelerator.prepare(this.backbone, {
          outputs,
          mode,
          inputSize: this.info.inputSize,
          weightsKey,
        });
      })();
      this.runners.set(key, runner);
    }
    return runner;
  }

  // ---------------------------------------------------------------------------------------------

  private async prepare(data: ImageSource, validation: ValidationOption | undefined, rng: Random) {
    let train = await collectExamples(data, this.classes);
    let val: Example[] = [];
    if (validation && 'split' in validation && typeof validation.split === 'number') {
      const split = stratifiedSplit(train, validation.split, rng.int(2 ** 31));
      train = split.train;
      val = split.validation;
    } else if (validation) {
      val = await collectExamples(validation as ImageSource, this.classes);
    }
    validateTrainingSet(train, this.classes);
    return { train, validation: val };
  }

  private async probabilities(
    images: readonly RgbImage[],
    batchSize: number,
    names?: readonly string[],
  ): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const runner = images.length > 0 ? await this.runnerFor([this.info.featureLayer], 'pooled') : null;
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = {
        images: images.slice(start, start + batchSize),
        names: names?.slice(start, start + batchSize),
      };
      out.push(
        ...(await this.headProbabilities(await this.pooledFeatures(batch, runner), batch.images.length)),
      );
    }
    return out;
  }

  /** Probabilities from pooled features, through the feature cache (the backbone is as loaded). */
  private async probabilitiesFromFeatures(examples: readonly Example[]): Promise<Float32Array[]> {
    const { data } = await this.features(examples, null, 0);
    return this.headProbabilities(data, examples.length);
  }

  /** The head's class probabilities for `n` pooled feature vectors, one row each. */
  private async headProbabilities(features: Float32Array, n: number): Promise<Float32Array[]> {
    if (n === 0) return [];
    const k = this.classes.length;
    const probs = tfc.tidy(() => this.head.forward(tfc.tensor2d(features, [n, features.length / n])));
    const values = (await probs.data()) as Float32Array;
    probs.dispose();
    return Array.from({ length: n }, (_, i) => values.slice(i * k, (i + 1) * k));
  }

  /**
   * Pooled features of images (resized as {@link toInputBatch} does) or of a ready pixel batch
   * (augmented views; disposed here): on the accelerator's runner when there is one, fed from JS
   * arrays without tfjs kernels where it can be, else on the tfjs backbone.
   */
  private async pooledFeatures(
    source: { images: readonly RgbImage[]; names?: readonly string[] } | tfc.Tensor4D,
    runner: AcceleratedRunner | null,
  ): Promise<Float32Array> {
    const { inputSize, preprocessing } = this.info;
    if (runner && !(source instanceof tfc.Tensor)) {
      const pixels = preprocessPixels(toInputPixels(source.images, inputSize, source.names), preprocessing);
      return (await runner.run(pixels, source.images.length))[0]!;
    }
    const inputs = tfc.tidy(() =>
      preprocess(
        source instanceof tfc.Tensor ? source : toInputBatch(source.images, inputSize, source.names),
        preprocessing,
      ),
    );
    if (source instanceof tfc.Tensor) source.dispose();
    if (runner) {
      const pixels = (await inputs.data()) as Float32Array;
      const n = inputs.shape[0];
      inputs.dispose();
      return (await runner.run(pixels, n))[0]!;
    }
    const pooled = tfc.tidy(() => tfc.mean(this.featureModel.predict(inputs) as tfc.Tensor4D, [1, 2]));
    inputs.dispose();
    const values = (await pooled.data()) as Float32Array;
    pooled.dispose();
    return values;
  }

  private headVariables(): tfc.Variable[] {
    return this.head.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tfc.Variable));
  }

  /** Pooled features of each example (per augmented view), computed once and cached. */
  private async features(
    examples: readonly Example[],
    aug: ResolvedAugment | null,
    seed: number,
  ): Promise<{ views: number; data: Float32Array }> {
    const size = this.info.inputSize;
    const views = aug ? aug.views : 1;
    const f = this.featureModel.outputs[0]!.shape.at(-1) as number;
    const data = new Float32Array(views * examples.length * f);
    const augTag = aug ? `aug:${JSON.stringify(aug)}:seed${seed}` : 'original';
    const missing: { row: number; example: Example; view: number; key: string }[] = [];
    for (let i = 0; i < examples.length; i++) {
      const e = examples[i]!;
      const content = await sha256Hex(e.pixels);
      for (let v = 0; v < views; v++) {
        const key = featureKey({
          contentHash: `${content}:${e.width}x${e.height}`,
          backbone: this.info.id,
          weights: this.info.weights.id,
          preprocessing: this.info.preprocessing,
          inputSize: size,
          layer: this.info.featureLayer,
          view: aug ? `${augTag}:v${v}` : 'original',
        });
        const cached = this.backboneChanged ? undefined : await this.featureCache.get(key);
        const row = v * examples.length + i;
        if (cached && cached.length === f) {
          data.set(cached, row * f);
          this.stats.featureCacheHits++;
        } else missing.push({ row, example: e, view: v, key });
      }
    }
    const runner = missing.length > 0 ? await this.runnerFor([this.info.featureLayer], 'pooled') : null;
    const batchSize = runner ? 32 : 16;
    for (let start = 0; start < missing.length; start += batchSize) {
      const chunk = missing.slice(start, start + batchSize);
      const source = aug
        ? tfc.tidy(
            () =>
              tfc.concat(
                chunk.map((m) => augmentImage(m.example, size, aug, new Random(hashSeed(m.key)))),
                0,
              ) as tfc.Tensor4D,
          )
        : { images: chunk.map((m) => m.example), names: chunk.map((m) => m.example.id) };
      const values = await this.pooledFeatures(source, runner);
      this.stats.backboneImages += chunk.length;
      for (let j = 0; j < chunk.length; j++) {
        const vec = values.slice(j * f, (j + 1) * f);
        data.set(vec, chunk[j]!.row * f);
        if (!this.backboneChanged) await this.featureCache.set(chunk[j]!.key, vec);
      }
    }
    return { views, data };
  }

  private lossAndCorrect(probs: tfc.Tensor2D, labels: tfc.Tensor1D, weights: tfc.Tensor1D | null) {
    const k = this.classes.length;
    const oneHot = tfc.oneHot(labels, k);
    const perExample = tfc.neg(tfc.sum(tfc.mul(oneHot, tfc.log(tfc.clipByValue(probs, 1e-7, 1))), 1));
    const weighted = weights ? tfc.mul(perExample, tfc.gather(weights, labels)) : perExample;
    const correct = tfc.sum(tfc.cast(tfc.equal(tfc.argMax(probs, 1), labels), 'float32'));
    return { loss: tfc.mean(weighted) as tfc.Scalar, sum: tfc.sum(weighted), correct };
  }

  /**
   * One optimiser step: forward, weighted loss, gradients of `variables`, `apply`; the batch's summed
   * loss and correct count. With `microBatch` smaller than the batch, the batch runs in parts whose
   * gradients add up to the whole batch's (gradient accumulation): the same step in less memory.
   * `probabilities(rows, part)` gives the probabilities of the batch positions `rows`.
   */
  private async gradientStep(
    probabilities: (rows: number[], part: number) => tfc.Tensor2D,
    labels: number[],
    classWeights: tfc.Tensor1D | null,
    variables: tfc.Variable[],
    apply: (grads: tfc.NamedTensorMap) => void,
    microBatch = Number.POSITIVE_INFINITY,
    remote?: RemoteParts,
  ): Promise<{ lossSum: number; correct: number }> {
    const n = labels.length;
    const parts: number[][] = [];
    const size = Math.max(1, Math.min(n, microBatch, remote ? Math.ceil(n / (remote.workers + 1)) : n));
    for (let start = 0; start < n; start += size)
      parts.push(Array.from({ length: Math.min(size, n - start) }, (_, i) => start + i));
    // parts for other replicas start first and run while this thread computes its own
    const elsewhere = parts.map((rows, part) =>
      remote && parts.length > 1 && part % (remote.workers + 1) !== 0
        ? remote.run((part % (remote.workers + 1)) - 1, part, rows)
        : null,
    );
    let accumulated: tfc.NamedTensorMap | null = null;
    const totals: tfc.Scalar[] = [];
    for (const [part, rows] of parts.entries()) {
      const done = elsewhere[part];
      const { grads, sum, correct } = done
        ? gradientsFromReplica(await done, variables)
        : this.partGradients(
            probabilities,
            rows,
            part,
            labels,
            classWeights,
            variables,
            parts.length > 1 ? n : 0,
          );
      totals.push(sum, correct);
      if (!accumulated) accumulated = grads;
      else {
        const previous: tfc.NamedTensorMap = accumulated;
        accumulated = tfc.tidy(() => {
          const out: tfc.NamedTensorMap = {};
          for (const [name, g] of Object.entries(grads))
            out[name] = previous[name] ? tfc.add(previous[name]!, g) : g;
          return out;
        });
        tfc.dispose([...Object.values(previous), ...Object.values(grads)]);
      }
    }
    tfc.tidy(() => apply(accumulated!));
    tfc.dispose(Object.values(accumulated!));
    const values = await Promise.all(totals.map((t) => t.data()));
    tfc.dispose(totals);
    let lossSum = 0;
    let correct = 0;
    for (let i = 0; i < values.length; i += 2) {
      lossSum += values[i]![0]!;
      correct += values[i + 1]![0]!;
    }
    return { lossSum, correct };
  }

  /**
   * One part of a step: the gradients of its loss (the batch mean's share, `sum / batch`, when the
   * step has several parts; the mean itself when `batch` is 0), its summed loss and correct count.
   */
  private partGradients(
    probabilities: (rows: number[], part: number) => tfc.Tensor2D,
    rows: number[],
    part: number,
    labels: number[],
    classWeights: tfc.Tensor1D | null,
    variables: tfc.Variable[],
    batch: number,
  ): { grads: tfc.NamedTensorMap; sum: tfc.Scalar; correct: tfc.Scalar } {
    return tfc.tidy(() => {
      const y = tfc.tensor1d(
        rows.map((r) => labels[r]!),
        'int32',
      );
      let sum!: tfc.Scalar;
      let correct!: tfc.Scalar;
      const { grads } = tfc.variableGrads(() => {
        const r = this.lossAndCorrect(probabilities(rows, part), y, classWeights);
        sum = tfc.keep(r.sum as tfc.Scalar);
        correct = tfc.keep(r.correct as tfc.Scalar);
        // each part's share of the whole batch's mean loss, so that the gradients add up to it
        return batch === 0 ? r.loss : (tfc.div(r.sum, batch) as tfc.Scalar);
      }, variables);
      return { grads, sum, correct };
    });
  }

  /**
   * @internal This classifier as a replica that computes parts of fine-tuning steps from frozen
   * activations (see {@link createReplica}); it takes the classifier over.
   */
  asReplica(setup: Pick<ReplicaSetup, 'freeze' | 'trainableLayers'>): Replica {
    const mine = this.backbone.layers.slice(setup.freeze).map((l) => l.name);
    if (mine.join() !== setup.trainableLayers.join())
      throw new Error('the replica splits the backbone differently from the classifier it copies');
    installConvGradients();
    installWasmMatMul();
    installBatchNormGradient();
    const { featureLayer, inputSize } = this.info;
    const frozen = freezeBackbone(this.backbone, setup.freeze, false);
    const plan = planFrozenPrefix(this.backbone, setup.freeze, featureLayer, inputSize);
    if (!plan) throw new Error(`a replica needs frozen layers to start from (freeze ${setup.freeze})`);
    const variables = [...frozen.groups.flatMap((g) => g.variables), ...this.headVariables()];
    return {
      step: async (part) => {
        const count = part.labels.length;
        const rows = Array.from({ length: count }, (_, i) => i);
        const classWeights = part.classWeights ? tfc.tensor1d(part.classWeights) : null;
        const result = this.partGradients(
          (chosen) =>
            this.head.forward(
              tfc.mean(
                runSuffix(plan, featureLayer, boundaryTensors(plan, part.rows, chosen), false),
                [1, 2],
              ) as tfc.Tensor2D,
              part.dropoutSeed,
            ),
          rows,
          0,
          part.labels,
          classWeights,
          variables,
          part.batch,
        );
        classWeights?.dispose();
        const grads = await Promise.all(
          variables.map(async (v) => {
            const g = result.grads[v.name];
            return g ? ((await g.data()) as Float32Array) : null;
          }),
        );
        const [sum, correct] = await Promise.all([result.sum.data(), result.correct.data()]);
        tfc.dispose([...Object.values(result.grads), result.sum, result.correct]);
        return { grads, sum: sum[0]!, correct: correct[0]! };
      },
      setWeights: (values) => {
        tfc.tidy(() => {
          for (const [i, v] of variables.entries()) v.assign(tfc.tensor(values[i]!, v.shape, 'float32'));
        });
      },
      dispose: () => {
        frozen.release();
        this.dispose();
      },
    };
  }

  /** The model as it is now, in memory, weights in one buffer: what a replica starts from. */
  private async currentArtifacts(): Promise<tfc.io.ModelArtifacts> {
    let captured: tfc.io.ModelArtifacts | undefined;
    await this.save(
      tfc.io.withSaveHandler(async (artifacts) => {
        captured = artifacts;
        return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    return {
      ...captured!,
      weightData: tfc.io.concatenateArrayBuffers(captured!.weightData as ArrayBuffer | ArrayBuffer[]),
    };
  }

  /**
   * Restores a resumed phase's generator and optimizers, and arranges for `trainingState()` to
   * describe this phase. Returns the epoch to start from and the callback that tracks epochs.
   */
  private async enterPhase(
    phase: Phase,
    where: { method: 'fit' | 'fineTune'; phaseIndex: number },
    resumeFrom: TrainingState | undefined,
    phaseRng: Random,
    optimizers: ScheduledOptimizer[],
  ): Promise<{ startEpoch: number; tracker: TrainingCallbacks }> {
    const resume = resumeFrom?.phaseIndex === where.phaseIndex ? resumeFrom : undefined;
    if (resume) {
      if (resume.optimizers.length !== optimizers.length) {
        throw new Error(
          `the training state has ${resume.optimizers.length} optimizer(s); this phase uses ${optimizers.length}: resume with the same options`,
        );
      }
      phaseRng.restore(resume.rng);
      for (const [i, o] of optimizers.entries()) await o.setState(resume.optimizers[i]!);
    }
    let epochsDone = resume?.epoch ?? 0;
    this.captureState = async () => ({
      format: 'graft-training-state',
      version: TRAINING_STATE_VERSION,
      method: where.method,
      phase,
      phaseIndex: where.phaseIndex,
      epoch: epochsDone,
      rng: phaseRng.seedState,
      optimizers: await Promise.all(optimizers.map((o) => o.getState())),
    });
    return {
      startEpoch: epochsDone + 1,
      tracker: {
        onEpochEnd: (log) => {
          epochsDone = log.epoch;
        },
      },
    };
  }

  private snapshotOf(variables: tfc.Variable[]): () => WeightSnapshot {
    return () => {
      const copies = variables.map((v) => tfc.clone(v));
      return {
        restore: () => {
          for (const [i, v] of variables.entries()) v.assign(copies[i]!);
        },
        dispose: () => tfc.dispose(copies),
      };
    };
  }

  private callbacksFor(options: TrainOptions): TrainingCallbacks[] {
    const list = [...(options.callbacks ?? [])];
    const onProgress = options.onProgress;
    if (onProgress) {
      list.push({ onBatchEnd: (e) => onProgress(e), onEpochEnd: (_log, e) => onProgress(e) });
    }
    list.push({
      onEpochEnd: (log) => {
        this.lastMetrics = Object.fromEntries(
          Object.entries(log).filter(([k, v]) => typeof v === 'number' && /loss|accuracy/.test(k)),
        ) as Record<string, number>;
      },
    });
    return list;
  }

  /** Whether `fit` solves the head (see {@link FitOptions.head}); throws when `probe` cannot apply. */
  private usesProbe(options: Pick<FitOptions, 'head' | 'augment'>): boolean {
    const solver = options.head ?? DEFAULTS.common.head;
    const needsLoop = [
      ...(resolveAugment(options.augment) ? ['augmentation'] : []),
      ...(this.headConfig.hidden.length > 0 ? ['hidden layers'] : []),
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
   * Feature extraction with the head solved, not trained: {@link fitLinearProbe} on the cached
   * features, its kernel and bias (standardisation folded in) written into the output Dense layer.
   * Reported as one epoch; the batch events are the probe's fits.
   */
  private async solveHeadOnFeatures(
    train: Example[],
    validation: Example[],
    options: TrainOptions & { probe?: ProbeOptions },
    rng: Random,
    phase: 'feature-extraction' | 'head',
    where: { method: 'fit' | 'fineTune'; phaseIndex: number },
  ): Promise<PhaseHistory> {
    this.backbone.trainable = false;
    const started = Date.now();
    const seed = options.seed ?? DEFAULTS.common.seed;
    const trainFeatures = await this.features(train, null, seed);
    const valFeatures = validation.length > 0 ? await this.features(validation, null, seed) : null;
    const phaseRng = rng.fork();
    const { startEpoch, tracker } = await this.enterPhase(phase, where, options.resume, phaseRng, []);
    const callbacks = [tracker, ...this.callbacksFor(options)];
    const history: PhaseHistory = { phase, epochs: [], stopReason: 'completed' };
    if (startEpoch > 1) {
      // resumed after the solve: the checkpoint already holds the solved head
      for (const cb of callbacks) await cb.onTrainEnd?.(history);
      this.captureState = null;
      return history;
    }
    const classWeights = resolveClassWeights(options.classWeights, train, this.classes);
    const labels = train.map((e) => e.classIndex);
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
      const result = await fitLinearProbe(trainFeatures.data, labels, this.classes.length, {
        ...options.probe,
        validation: valFeatures
          ? { features: valFeatures.data, labels: validation.map((e) => e.classIndex) }
          : null,
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
      const output = this.head.layers.find((l) => l.name === OUTPUT_LAYER)!;
      const d = result.kernel.length / this.classes.length;
      const [kernel, bias] = [
        tfc.tensor2d(result.kernel, [d, this.classes.length]),
        tfc.tensor1d(result.bias),
      ];
      output.setWeights([kernel, bias]);
      tfc.dispose([kernel, bias]);
      let validationMetrics: { val_loss: number; val_accuracy: number } | Record<string, never> = {};
      if (valFeatures) {
        // the same measure as the SGD head's validation
        const n = validation.length;
        const totals = tfc.tidy(() => {
          const x = tfc.tensor2d(valFeatures.data, [n, valFeatures.data.length / n]);
          const y = tfc.tensor1d(
            validation.map((e) => e.classIndex),
            'int32',
          );
          const r = this.lossAndCorrect(this.head.forward(x), y, null);
          return tfc.stack([r.sum, r.correct]);
        });
        const [lossSum, correct] = (await totals.data()) as Float32Array;
        totals.dispose();
        validationMetrics = { val_loss: lossSum! / n, val_accuracy: correct! / n };
      }
      const seconds = (Date.now() - started) / 1000;
      const log: EpochLog = {
        phase,
        epoch: 1,
        loss: result.trainLoss,
        accuracy: result.trainAccuracy,
        ...validationMetrics,
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
      this.captureState = null;
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(history);
    return history;
  }

  private async trainHeadOnFeatures(
    train: Example[],
    validation: Example[],
    options: TrainOptions,
    rng: Random,
    phase: 'feature-extraction' | 'head',
    lr: number,
    where: { method: 'fit' | 'fineTune'; phaseIndex: number },
  ): Promise<PhaseHistory> {
    this.backbone.trainable = false;
    installWasmMatMul(); // dense-layer gradients on wasm
    const aug = resolveAugment(options.augment);
    const featureSeed = options.seed ?? DEFAULTS.common.seed;
    const trainFeatures = await this.features(train, aug, featureSeed);
    const valFeatures = validation.length > 0 ? await this.features(validation, null, featureSeed) : null;
    const f = trainFeatures.data.length / (trainFeatures.views * train.length);
    // a batch's rows are copied in JS: 20× tfjs-wasm's gather, and no second copy of every feature
    const featureRows = (rows: number[]) =>
      tfc.tensor2d(gatherRows(trainFeatures.data, f, rows), [rows.length, f]);
    const labels = train.map((e) => e.classIndex);
    const classWeights = resolveClassWeights(options.classWeights, train, this.classes);
    const weightTensor = classWeights ? tfc.tensor1d(classWeights) : null;
    const valX = valFeatures ? tfc.tensor2d(valFeatures.data, [validation.length, f]) : null;
    const valY = valFeatures
      ? tfc.tensor1d(
          validation.map((e) => e.classIndex),
          'int32',
        )
      : null;
    const opt = createOptimizer(options.optimizer ?? DEFAULTS.common.optimizer, lr);
    const vars = this.headVariables();
    const phaseRng = rng.fork();
    const { startEpoch, tracker } = await this.enterPhase(phase, where, options.resume, phaseRng, [opt]);
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
        return this.gradientStep(
          () => this.head.forward(featureRows(rows), dropoutSeed),
          indices.map((i) => labels[i]!),
          weightTensor,
          vars,
          (grads) => opt.optimizer.applyGradients(grads),
        );
      },
      validate:
        valX && valY
          ? async () => {
              const [loss, acc] = tfc.tidy(() => {
                const r = this.lossAndCorrect(this.head.forward(valX), valY, null);
                return [tfc.div(r.sum, validation.length), tfc.div(r.correct, validation.length)];
              });
              const out = { loss: (await loss!.data())[0]!, accuracy: (await acc!.data())[0]! };
              tfc.dispose([loss!, acc!]);
              return out;
            }
          : undefined,
      snapshot: this.snapshotOf(vars),
      callbacks: [tracker, ...this.callbacksFor(options)],
      startEpoch,
      earlyStopping: options.earlyStopping,
      signal: options.signal,
    };
    try {
      return await runPhase(runner);
    } finally {
      this.captureState = null;
      opt.dispose();
      tfc.dispose([
        ...(weightTensor ? [weightTensor] : []),
        ...(valX ? [valX] : []),
        ...(valY ? [valY] : []),
      ]);
    }
  }

  /**
   * The frozen prefix's outputs for `examples`, computed once (on the accelerator when there is one)
   * and kept in memory or `activationStore`; null when caching does not apply or has nowhere to go.
   */
  private async frozenActivations(
    freeze: number,
    examples: readonly Example[],
  ): Promise<FrozenActivations | null> {
    const { featureLayer, inputSize, preprocessing } = this.info;
    const plan = planFrozenPrefix(this.backbone, freeze, featureLayer, inputSize);
    if (!plan || examples.length === 0) return null;
    const inMemory = plan.bytesPerExample * examples.length <= this.frozenActivationMemoryBytes;
    const createStore = inMemory ? memoryActivationStore : this.activationStore;
    if (!createStore) return null;
    const outputs = plan.boundary.map((l) => l.name);
    const runner = await this.runnerFor(outputs, 'nhwc');
    const probe = runner
      ? null
      : tfl.model({
          inputs: this.backbone.inputs,
          outputs: plan.boundary.map((l) => l.output as tfl.SymbolicTensor),
        });
    const activations = await FrozenActivations.compute(
      plan,
      examples.length,
      createStore,
      async (start, count) => {
        const chunk = examples.slice(start, start + count);
        const names = chunk.map((e) => e.id);
        if (runner)
          return runner.run(preprocessPixels(toInputPixels(chunk, inputSize, names), preprocessing), count);
        const outs = tfc.tidy(() => {
          const y = probe!.predict(preprocess(toInputBatch(chunk, inputSize, names), preprocessing));
          return Array.isArray(y) ? y : [y];
        });
        const values = (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
        tfc.dispose(outs);
        return values;
      },
    );
    this.stats.frozenActivationStore = inMemory ? 'memory' : 'store';
    return activations;
  }

  private async trainEndToEnd(
    train: Example[],
    validation: Example[],
    options: TrainOptions & {
      trainBatchNorm?: boolean;
      lrMult?: number;
      cacheFrozenActivations?: boolean;
      microBatch?: number;
    },
    rng: Random,
    freeze: number,
    lr: number,
    where: { method: 'fit' | 'fineTune'; phaseIndex: number },
  ): Promise<PhaseHistory> {
    installConvGradients(); // convolutions train on every backend, wasm included
    installWasmMatMul();
    installBatchNormGradient();
    const trainBatchNorm = options.trainBatchNorm ?? DEFAULTS.fineTune.trainBatchNorm;
    const frozen = freezeBackbone(this.backbone, freeze, trainBatchNorm);
    const aug = resolveAugment(options.augment);
    const size = this.info.inputSize;
    const name = (e: Example) => e.id;
    const featureLayer = this.info.featureLayer;
    // pixels are made per batch from the examples: a whole set as one tensor would fill the wasm heap
    this.stats.frozenActivationStore = 'none';
    const cache = !aug && (options.cacheFrozenActivations ?? DEFAULTS.fineTune.cacheFrozenActivations);
    const frozenPrefix = cache ? await this.frozenActivations(freeze, train) : null;
    const frozenValidation = frozenPrefix ? await this.frozenActivations(freeze, validation) : null;
    this.markBackboneChanged(); // from here on the unfrozen layers train
    this.stats.frozenActivationBytes = frozenPrefix?.bytes ?? 0;
    const microBatch =
      options.microBatch ??
      automaticMicroBatch(
        this.backbone,
        frozenPrefix ? freeze : 0,
        this.info.featureLayer,
        this.info.inputSize,
        options.batchSize ?? DEFAULTS.fineTune.batchSize,
      );
    this.stats.microBatch = microBatch;
    const valY =
      validation.length > 0
        ? tfc.tensor1d(
            validation.map((e) => e.classIndex),
            'int32',
          )
        : null;
    const labels = train.map((e) => e.classIndex);
    const classWeights = resolveClassWeights(options.classWeights, train, this.classes);
    const weightTensor = classWeights ? tfc.tensor1d(classWeights) : null;

    // Discriminative rates: stage groups spread geometrically from lr/lrMult (earliest) to lr.
    const lrMult = options.lrMult ?? DEFAULTS.fineTune.lrMult;
    const groups = [...frozen.groups, { name: 'head', variables: this.headVariables() }];
    const factors = groups.map((_, i) =>
      groups.length === 1 ? 1 : lrMult ** (-(groups.length - 1 - i) / (groups.length - 1)),
    );
    const optimizers: ScheduledOptimizer[] = groups.map((_, i) =>
      createOptimizer(options.optimizer ?? DEFAULTS.common.optimizer, lr * factors[i]!),
    );
    const allVars = groups.flatMap((g) => g.variables);
    const phaseRng = rng.fork();
    const augSeed = phaseRng.int(2 ** 31);
    const { startEpoch, tracker } = await this.enterPhase(
      'fine-tune',
      where,
      options.resume,
      phaseRng,
      optimizers,
    );
    const batchSize = options.batchSize ?? DEFAULTS.fineTune.batchSize;
    // other cores compute parts of each step, from the frozen activations (inference-mode BN only)
    const workers = this.stepWorkers && frozenPrefix && !trainBatchNorm ? this.stepWorkers : null;
    let workersStarted = false;
    /** Replicas start with the first step and get the current weights before every later one. */
    const syncWorkers = async () => {
      if (!workers) return;
      if (workersStarted) await workers.setWeights(allVars.map((v) => v.dataSync() as Float32Array));
      else {
        workersStarted = true;
        await workers.start({
          artifacts: await this.currentArtifacts(),
          freeze,
          trainableLayers: this.backbone.layers.slice(freeze).map((l) => l.name),
        });
      }
    };
    this.stats.stepWorkers = workers?.size ?? 0;

    const forward = (x: tfc.Tensor4D, dropoutSeed?: number) => {
      const features = this.featureModel.apply(preprocess(x, this.info.preprocessing), {
        training: trainBatchNorm,
      }) as tfc.Tensor4D;
      return this.head.forward(tfc.mean(features, [1, 2]) as tfc.Tensor2D, dropoutSeed);
    };

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
        await syncWorkers();
        const batch = (chosen: number[]) =>
          !aug
            ? toInputBatch(
                chosen.map((i) => train[i]!),
                size,
                chosen.map((i) => name(train[i]!)),
              )
            : (tfc.concat(
                chosen.map((i) =>
                  augmentImage(train[i]!, size, aug!, new Random(hashSeed(`${augSeed}:${epoch}:${i}`))),
                ),
                0,
              ) as tfc.Tensor4D);
        // one dropout seed per part: a step split into micro-batches stays reproducible
        const probabilities = (rows: number[], part: number) => {
          const chosen = rows.map((r) => indices[r]!);
          return frozenPrefix && fetched
            ? this.head.forward(
                tfc.mean(
                  runSuffix(
                    frozenPrefix.plan,
                    featureLayer,
                    frozenPrefix.tensors(fetched, rows),
                    trainBatchNorm,
                  ),
                  [1, 2],
                ) as tfc.Tensor2D,
                dropoutSeed + part,
              )
            : forward(batch(chosen), dropoutSeed + part);
        };
        const remote: RemoteParts | undefined =
          workers && fetched
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
        return this.gradientStep(
          probabilities,
          indices.map((i) => labels[i]!),
          weightTensor,
          allVars,
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
        validation.length > 0 && valY
          ? async () => {
              let lossSum = 0;
              let correct = 0;
              // inference only: predict frees each layer's input as it goes, so batches can be larger
              const evalBatch = Math.max(batchSize, 64);
              for (let start = 0; start < validation.length; start += evalBatch) {
                const n = Math.min(evalBatch, validation.length - start);
                const positions = Array.from({ length: n }, (_, i) => i);
                const fetched = frozenValidation
                  ? await frozenValidation.rows(positions.map((i) => start + i))
                  : null;
                const [s, c] = tfc.tidy(() => {
                  const y = tfc.slice(valY, [start], [n]) as tfc.Tensor1D;
                  const features =
                    frozenValidation && fetched
                      ? runSuffix(
                          frozenValidation.plan,
                          featureLayer,
                          frozenValidation.tensors(fetched, positions),
                          false,
                        )
                      : (this.featureModel.predict(
                          preprocess(
                            toInputBatch(
                              validation.slice(start, start + n),
                              size,
                              validation.slice(start, start + n).map(name),
                            ),
                            this.info.preprocessing,
                          ),
                        ) as tfc.Tensor4D);
                  const probs = this.head.forward(tfc.mean(features, [1, 2]) as tfc.Tensor2D);
                  const r = this.lossAndCorrect(probs, y, null);
                  return [r.sum, r.correct];
                });
                lossSum += (await s!.data())[0]!;
                correct += (await c!.data())[0]!;
                tfc.dispose([s!, c!]);
              }
              return { loss: lossSum / validation.length, accuracy: correct / validation.length };
            }
          : undefined,
      snapshot: this.snapshotOf(allVars),
      callbacks: [tracker, ...this.callbacksFor(options)],
      startEpoch,
      earlyStopping: options.earlyStopping,
      signal: options.signal,
    };
    try {
      const history = await runPhase(runner);
      this.strategy = 'fine-tune';
      this.lastFreeze = freeze;
      return history;
    } finally {
      this.captureState = null;
      await frozenPrefix?.dispose();
      await frozenValidation?.dispose();
      if (workersStarted) await workers?.stop();
      frozen.release();
      for (const o of optimizers) o.dispose();
      tfc.dispose([valY, weightTensor].filter((t) => t !== null) as tfc.Tensor[]);
    }
  }
}

function checkResume(state: TrainingState | undefined, method: 'fit' | 'fineTune'): void {
  if (state && state.method !== method) {
    throw new Error(
      `this training state was saved by ${state.method}; resume it with ${state.method}, not ${method}`,
    );
  }
}

function idsOf(train: Example[], validation: Example[]): TrainingHistory['data'] {
  return { train: train.map((e) => e.id), validation: validation.map((e) => e.id) };
}

/** A 32-bit seed from a string (FNV-1a), so each augmented view is reproducible on its own. */
function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Loads a classifier saved by `Classifier.save` (any tfjs load handler or URL), checking its
 * manifest. The result predicts, evaluates, and can be trained further.
 */
export async function loadClassifier(source: string | tfc.io.IOHandler): Promise<Classifier> {
  const where = typeof source === 'string' ? source : 'the saved model';
  await backendReady();
  const whole = await tfl.loadLayersModel(source);
  let manifest: ClassifierManifest;
  try {
    manifest = checkManifest(
      (whole.getUserDefinedMetadata() as { graft?: unknown } | undefined)?.graft,
      where,
    );
    checkLoadedWeights(whole, manifest, where);
  } catch (err) {
    whole.dispose();
    throw err;
  }
  const featureOutput = whole.getLayer(manifest.featureLayer).output as tfl.SymbolicTensor;
  const backbone = tfl.model({ inputs: whole.inputs, outputs: featureOutput, name: manifest.backbone.id });
  const headLayers = whole.layers.filter(
    (l) => l.name.startsWith(HEAD_LAYER_PREFIX) && l.name !== POOL_LAYER,
  );
  if (!headLayers.some((l) => l.name === OUTPUT_LAYER)) {
    whole.dispose();
    throw new Error(`${where} has no ${OUTPUT_LAYER} layer: it is not a Graft classifier`);
  }
  const head = headFromLayers(headLayers, manifest.head.dropout);
  let architecture = manifest.backbone.architecture;
  let defaultFreeze = DEFAULT_FINE_TUNE_FREEZE;
  try {
    const spec = getModel(manifest.backbone.id);
    architecture = spec.architecture;
    defaultFreeze = spec.fineTune?.defaultFreeze ?? defaultFreeze;
  } catch {
    // a backbone registered by a plugin in the saving process: the manifest's record suffices
  }
  const info: BackboneInfo = {
    id: manifest.backbone.id,
    architecture,
    preprocessing: manifest.preprocessing,
    inputSize: manifest.inputSize,
    featureLayer: manifest.featureLayer,
    defaultFreeze,
    weights: manifest.backbone.weights,
  };
  const clf = new Classifier(backbone, info, [...manifest.labels], head, { ...manifest.head }, whole);
  if (manifest.strategy === 'fine-tune') clf.markBackboneChanged();
  return clf;
}

/**
 * What a saved classifier must hold to predict what it says: as many outputs as labels (else every
 * prediction would be relabelled), and finite weights (NaN would come out as `null` probabilities).
 */
function checkLoadedWeights(whole: tfl.LayersModel, manifest: ClassifierManifest, where: string): void {
  const output = whole.layers.find((l) => l.name === OUTPUT_LAYER);
  const units = output ? (output.getConfig() as { units?: number }).units : undefined;
  if (units !== undefined && units !== manifest.labels.length) {
    throw new Error(
      `${where}: the model has ${units} outputs but its manifest names ${manifest.labels.length} labels (${manifest.labels.join(', ')}): the model and its labels do not belong together`,
    );
  }
  for (const layer of whole.layers) {
    for (const weight of layer.weights) {
      const values = weight.read().dataSync() as Float32Array;
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i]!)) {
          throw new Error(
            `${where}: weight ${weight.originalName} of layer ${layer.name} holds ${values[i]} at index ${i}: the weights are damaged`,
          );
        }
      }
    }
  }
}

/** Parts of a step computed by replicas: `run` part `part` (batch positions `rows`) on `worker`. */
interface RemoteParts {
  workers: number;
  run(worker: number, part: number, rows: number[]): Promise<ReplicaGradients>;
}

/** A replica's gradients as this thread's tensors, keyed by its variables' names. */
function gradientsFromReplica(
  result: ReplicaGradients,
  variables: tfc.Variable[],
): { grads: tfc.NamedTensorMap; sum: tfc.Scalar; correct: tfc.Scalar } {
  const grads: tfc.NamedTensorMap = {};
  for (const [i, v] of variables.entries()) {
    const values = result.grads[i];
    if (values) grads[v.name] = tfc.tensor(values, v.shape, 'float32');
  }
  return { grads, sum: tfc.scalar(result.sum, 'float32'), correct: tfc.scalar(result.correct, 'float32') };
}

/**
 * A replica of a classifier in this thread, from `StepWorkers.start`'s setup: what each of the
 * CLI's worker threads runs. Uses the current tfjs backend.
 */
export async function createReplica(setup: ReplicaSetup): Promise<Replica> {
  const clf = await loadClassifier(tfc.io.fromMemory(setup.artifacts));
  try {
    return clf.asReplica(setup);
  } catch (err) {
    clf.dispose();
    throw err;
  }
}

/** A tfjs save handler, or the one registered for a URL scheme (`indexeddb://…`), as `LayersModel.save` resolves it. */
function resolveSaveHandler(destination: string | tfc.io.IOHandler): tfc.io.IOHandler {
  if (typeof destination !== 'string') {
    if (!destination.save) throw new Error('the save handler has no save method');
    return destination;
  }
  const handlers = tfc.io.getSaveHandlers(destination);
  if (handlers.length !== 1)
    throw new Error(
      handlers.length === 0
        ? `no tfjs save handler for '${destination}'`
        : `${handlers.length} tfjs save handlers match '${destination}'`,
    );
  return handlers[0]!;
}
