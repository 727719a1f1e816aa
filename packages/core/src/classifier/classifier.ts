import { type ClassScore, topK } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { collectExamples, type ImageSource } from '../data/dataset.js';
import type { RgbImage } from '../data/image.js';
import type { BackboneAccelerator } from '../features/accelerator.js';
import type { FeatureCache } from '../features/cache.js';
import { splitRows } from '../inference/backbone-runner.js';
import type { ClassifierManifest } from '../manifest.js';
import { classificationReport, type EvaluationReport } from '../metrics.js';
import type { ActivationStoreFactory } from '../model/frozen-prefix.js';
import { buildWholeModel, type Head } from '../model/head.js';
import { fineTuneTwoPhases, fitOnePhase } from '../strategies/two-phase.js';
import { replicaOf } from '../train/replica/replica.js';
import type { Replica, ReplicaSetup, StepWorkers } from '../train/replica/types.js';
import type { TrainingState } from '../train/state.js';
import { DEFAULTS } from './defaults.js';
import { type BackboneInfo, type ClassifierServices, type ClassifierStats, Learner } from './learner.js';
import type { FineTuneOptions, FitOptions, TrainingHistory } from './options.js';
import { manifestOf, saveClassifier } from './save.js';

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

/**
 * A backbone and a head that learn a new image task: the facade over a {@link Learner} and the
 * strategies. Create one with {@link createClassifier} or {@link loadClassifier}.
 */
export class Classifier {
  /** backbone → pooled features → head, sharing all weights with the parts. */
  readonly model: tfl.LayersModel;
  private readonly learner: Learner;

  /** @internal use {@link createClassifier} or {@link loadClassifier} */
  constructor(
    readonly backbone: tfl.LayersModel,
    readonly info: BackboneInfo,
    readonly classes: string[],
    head: Head,
    headConfig: { dropout: number; hidden: number[] },
    whole?: tfl.LayersModel,
  ) {
    this.model = whole ?? buildWholeModel(backbone, info.featureLayer, head);
    this.learner = new Learner(backbone, info, classes, head, headConfig, this.model);
  }

  /** Counters that show what work was done (and what was not repeated). */
  get stats(): ClassifierStats {
    return this.learner.stats;
  }

  /** Trains with the backbone frozen (default) or, with `strategy: 'fine-tune'`, one fine-tuning phase. */
  fit(data: ImageSource, options: FitOptions = {}): Promise<TrainingHistory> {
    return fitOnePhase(this.learner, data, options);
  }

  /**
   * fastai's `fine_tune`: the new head on the frozen backbone (solved, or `headEpochs` of SGD), then
   * `epochs` with the layers after `freeze` unfrozen at a lower rate (`lrMult` spreads rates over stages).
   */
  fineTune(data: ImageSource, options: FineTuneOptions = {}): Promise<TrainingHistory> {
    return fineTuneTwoPhases(this.learner, data, options);
  }

  /** Class probabilities and the top classes for each image. */
  async predict(
    images: readonly RgbImage[],
    options: { topK?: number; batchSize?: number } = {},
  ): Promise<Prediction[]> {
    const rows = await this.probabilitiesOf(images, options.batchSize ?? DEFAULTS.predict.batchSize);
    const k = Math.min(options.topK ?? DEFAULTS.predict.topK, this.classes.length);
    return rows.map((row) => {
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
    const rows = this.learner.runner.weightsAsLoaded
      ? await this.headProbabilities((await this.learner.features(examples, null, 0)).data, examples.length)
      : await this.probabilitiesOf(
          examples,
          options.batchSize ?? DEFAULTS.predict.batchSize,
          examples.map((e) => e.id),
        );
    const labels = examples.map((e) => e.classIndex);
    const report = classificationReport(rows, labels, this.classes);
    const predictions = examples.map((e, i) => {
      const best = topK(rows[i]!, 1, this.classes)[0]!;
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
    const capture = this.learner.captureState;
    if (!capture)
      throw new Error('trainingState() is only available while fit or fineTune runs (e.g. in onEpochEnd)');
    return capture();
  }

  /** What `save` writes as `graft.json` (and into model.json's metadata). */
  manifest(): ClassifierManifest {
    return manifestOf(this.learner);
  }

  /**
   * Saves the whole model (backbone + head, one TF.js layers model that plain `tf.loadLayersModel`
   * loads) with the manifest in its metadata. `destination` is any tfjs save handler or URL scheme
   * (`indexeddb://…`, `downloads://…`, an `http(s)` endpoint, or `file://` in Node).
   */
  save(destination: string | tfc.io.IOHandler): Promise<tfc.io.SaveResult> {
    return saveClassifier(this.learner, destination);
  }

  /** Frees the backbone, the head and everything built on them. */
  dispose(): void {
    void this.learner.runner.release();
    this.model.dispose();
  }

  // Services, also settable in ClassifierOptions; the setters stay for compatibility.

  /** Where features are kept between fits; replace it with a persistent one (disk, IndexedDB). */
  get featureCache(): FeatureCache {
    return this.learner.services.featureCache;
  }
  set featureCache(cache: FeatureCache) {
    this.learner.services.featureCache = cache;
  }
  /** Runs the frozen backbone on a faster engine (ONNX Runtime in Node); null keeps everything in tfjs. */
  get accelerator(): BackboneAccelerator | null {
    return this.learner.runner.accelerator;
  }
  set accelerator(accelerator: BackboneAccelerator | null) {
    this.learner.runner.accelerator = accelerator;
  }
  /** Keeps frozen-prefix activations too large for memory between fine-tuning epochs (the CLI: float16 in a file). */
  get activationStore(): ActivationStoreFactory | null {
    return this.learner.services.activationStore;
  }
  set activationStore(store: ActivationStoreFactory | null) {
    this.learner.services.activationStore = store;
  }
  /** Replicas on other cores (the CLI: worker threads) that compute parts of each fine-tuning step. */
  get stepWorkers(): StepWorkers | null {
    return this.learner.services.stepWorkers;
  }
  set stepWorkers(workers: StepWorkers | null) {
    this.learner.services.stepWorkers = workers;
  }
  /** Frozen-prefix activations up to this many bytes (as float32) stay in memory. */
  get frozenActivationMemoryBytes(): number {
    return this.learner.services.frozenActivationMemoryBytes;
  }
  set frozenActivationMemoryBytes(bytes: number) {
    this.learner.services.frozenActivationMemoryBytes = bytes;
  }

  /** @internal the services given to createClassifier */
  useServices(options: Partial<ClassifierServices> & { accelerator?: BackboneAccelerator | null }): void {
    const { services, runner } = this.learner;
    services.featureCache = options.featureCache ?? services.featureCache;
    services.activationStore = options.activationStore ?? services.activationStore;
    services.stepWorkers = options.stepWorkers ?? services.stepWorkers;
    services.frozenActivationMemoryBytes =
      options.frozenActivationMemoryBytes ?? services.frozenActivationMemoryBytes;
    runner.accelerator = options.accelerator ?? runner.accelerator;
  }

  /** @internal loadClassifier marks a fine-tuned model: its features are not the pretrained ones. */
  markBackboneChanged(): void {
    this.learner.markBackboneChanged();
  }

  /** @internal This classifier as a replica of fine-tuning steps (see `createReplica`); it takes the classifier over. */
  asReplica(setup: Pick<ReplicaSetup, 'freeze' | 'trainableLayers'>): Replica {
    return replicaOf(this.learner, setup, () => this.dispose());
  }

  /** Probabilities of images run through the backbone (not the feature cache). */
  private async probabilitiesOf(
    images: readonly RgbImage[],
    batchSize: number,
    names?: readonly string[],
  ): Promise<Float32Array[]> {
    const { runner } = this.learner;
    const accelerated = await runner.pooledRunner(images.length);
    const out: Float32Array[] = [];
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = {
        images: images.slice(start, start + batchSize),
        names: names?.slice(start, start + batchSize),
      };
      out.push(
        ...(await this.headProbabilities(await runner.pooled(batch, accelerated), batch.images.length)),
      );
    }
    return out;
  }

  /** The head's class probabilities for `n` pooled feature vectors, one row each. */
  private async headProbabilities(features: Float32Array, n: number): Promise<Float32Array[]> {
    if (n === 0) return [];
    const probs = tfc.tidy(() => this.learner.head.forward(tfc.tensor2d(features, [n, features.length / n])));
    const values = (await probs.data()) as Float32Array;
    probs.dispose();
    return splitRows(values, n);
  }
}
