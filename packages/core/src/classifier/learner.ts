import type { PreprocessingMode } from '@graft/zoo';
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedAugment } from '../data/augment.js';
import type { Example } from '../data/dataset.js';
import { type FeatureCache, InMemoryFeatureCache } from '../features/cache.js';
import { BackboneRunner } from '../inference/backbone-runner.js';
import { cachedFeatures, type ExampleFeatures } from '../inference/cached-features.js';
import type { ClassifierManifest } from '../manifest.js';
import type { ActivationStoreFactory } from '../model/frozen-prefix.js';
import type { Head } from '../model/head.js';
import type { Phase, TrainingCallbacks } from '../train/loop.js';
import type { StepWorkers } from '../train/replica/types.js';
import type { TrainingState } from '../train/state.js';
import { DEFAULTS } from './defaults.js';

/** What the classifier needs to know about its backbone. */
export interface BackboneInfo {
  id: string;
  architecture: string;
  preprocessing: PreprocessingMode;
  inputSize: readonly [number, number];
  featureLayer: string;
  /** Where fine-tuning freezes by default (the spec's `fineTune.defaultFreeze`); none: pass `freeze`. */
  defaultFreeze?: string;
  /** The stage a backbone layer belongs to (the spec's `fineTune.stageOf`), for learning-rate groups. */
  stageOf?: (layerName: string) => string;
  weights: { source: string; id: string };
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

/** Services a classifier uses while it trains; each has an in-process default. */
export interface ClassifierServices {
  /** Where features are kept between fits (disk, IndexedDB). Default in memory. */
  featureCache: FeatureCache;
  /** Keeps frozen-prefix activations too large for memory between fine-tuning epochs. Default none. */
  activationStore: ActivationStoreFactory | null;
  /** Replicas on other cores that compute parts of each fine-tuning step. Default none. */
  stepWorkers: StepWorkers | null;
  /** Frozen-prefix activations up to this many bytes (as float32) stay in memory. */
  frozenActivationMemoryBytes: number;
}

/** What training has made of the classifier, for its manifest. */
export interface TrainingRecord {
  strategy: ClassifierManifest['strategy'];
  freeze?: number;
  metrics: Record<string, number>;
}

/**
 * The parts and services one classifier trains with — fastai's `Learner` without the loop: the
 * strategies (feature extraction, fine-tuning) work on it, and the classifier is its facade.
 */
export class Learner {
  readonly runner: BackboneRunner;
  readonly stats: ClassifierStats = {
    backboneImages: 0,
    featureCacheHits: 0,
    frozenActivationBytes: 0,
    frozenActivationStore: 'none',
    microBatch: 0,
    stepWorkers: 0,
  };
  readonly services: ClassifierServices = {
    featureCache: new InMemoryFeatureCache(),
    activationStore: null,
    stepWorkers: null,
    frozenActivationMemoryBytes: DEFAULTS.frozenActivationMemoryBytes,
  };
  readonly record: TrainingRecord = { strategy: 'untrained', metrics: {} };
  /** Captures the running phase's state; set while a phase trains. */
  captureState: (() => Promise<TrainingState>) | null = null;
  /** The backbone's weights as `save` encodes them, kept while they are the loaded ones. */
  encodedBackbone: Promise<{ data: tfc.io.WeightData; specs: tfc.io.WeightsManifestEntry[] }> | null = null;

  constructor(
    readonly backbone: tfl.LayersModel,
    readonly info: BackboneInfo,
    readonly classes: readonly string[],
    readonly head: Head,
    readonly headConfig: { dropout: number; hidden: number[] },
    /** backbone → pooled features → head, sharing all weights with the parts. */
    readonly model: tfl.LayersModel,
  ) {
    this.runner = new BackboneRunner(backbone, {
      id: info.id,
      weightsId: info.weights.id,
      preprocessing: info.preprocessing,
      inputSize: info.inputSize,
      featureLayer: info.featureLayer,
    });
  }

  /** The backbone's weights differ from `info.weights` (fine-tuned): cached features and graphs do not apply. */
  markBackboneChanged(): void {
    this.runner.markChanged();
    this.encodedBackbone = null;
  }

  /** The head's trainable variables. */
  headVariables(): tfc.Variable[] {
    return this.head.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tfc.Variable));
  }

  /**
   * A phase's features: the training examples' (per augmented view) and the validation ones',
   * with the backbone's progress over each split sent to the callbacks' `onFeatures`.
   */
  async phaseFeatures(
    { train, validation }: { train: readonly Example[]; validation: readonly Example[] },
    aug: ResolvedAugment | null,
    seed: number,
    phase: Phase,
    callbacks: readonly TrainingCallbacks[] = [],
  ): Promise<{ train: ExampleFeatures; validation: ExampleFeatures | null }> {
    const progress = (split: 'train' | 'validation') => async (done: number, total: number) => {
      for (const cb of callbacks) await cb.onFeatures?.({ phase, split, done, total });
    };
    return {
      train: await this.features(train, aug, seed, progress('train')),
      validation:
        validation.length > 0 ? await this.features(validation, null, seed, progress('validation')) : null,
    };
  }

  /** Pooled features of each example (per augmented view), computed once and cached. */
  features(
    examples: readonly Example[],
    aug: ResolvedAugment | null,
    seed: number,
    onProgress?: (done: number, total: number) => void | Promise<void>,
  ): Promise<ExampleFeatures> {
    return cachedFeatures(
      this.runner,
      this.services.featureCache,
      this.info.weights.id,
      this.stats,
      examples,
      aug,
      seed,
      onProgress,
    );
  }
}
