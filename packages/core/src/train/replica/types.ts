import type * as tfc from '@tensorflow/tfjs-core';

/** What a replica needs to compute parts of fine-tuning steps: the model as it is, and the split. */
export interface ReplicaSetup {
  /** The whole classifier model (`Classifier.save` into memory), weights in one buffer. */
  artifacts: tfc.io.ModelArtifacts;
  /** Keras freeze index: layers before it are frozen. */
  freeze: number;
  /** The backbone's layer names from `freeze` on, to check that the replica splits the same way. */
  trainableLayers: string[];
}

/** One part of a step: its examples' frozen activations and labels, and how it fits the batch. */
export interface ReplicaPart {
  /** Boundary activations of the part's examples, one array per boundary layer. */
  rows: Float32Array[];
  labels: number[];
  /** This part's dropout seed. */
  dropoutSeed: number;
  /** Examples in the whole batch (each part's loss is its share of the batch mean). */
  batch: number;
  /** Per-class loss weights, or null. */
  classWeights: number[] | null;
}

/** A part's gradients, one per trainable variable in the order both sides enumerate them. */
export interface ReplicaGradients {
  grads: (Float32Array | null)[];
  /** The part's summed (weighted) loss and correct count. */
  sum: number;
  correct: number;
}

/** A copy of a classifier that computes parts of fine-tuning steps; see `createReplica`. */
export interface Replica {
  step(part: ReplicaPart): Promise<ReplicaGradients>;
  /** New values of the trainable variables, in order, after the step was applied. */
  setWeights(values: Float32Array[]): void;
  dispose(): void;
}

/**
 * Replicas elsewhere — the CLI runs one per extra core in worker threads, each with its own wasm
 * backend — that compute parts of each fine-tuning step while this thread computes one itself,
 * so that training uses every core. Only the trainable part runs there (from frozen activations),
 * and the parts are the step's micro-batches: the result is the same step, to the bit, as
 * `microBatch` of that size on one thread (tested).
 */
export interface StepWorkers {
  /** Replicas that run alongside this thread. */
  readonly size: number;
  /** Starts a replica (`createReplica(setup)`) in every worker. */
  start(setup: ReplicaSetup): Promise<void>;
  /** Part of a step on replica `worker`. */
  step(worker: number, part: ReplicaPart): Promise<ReplicaGradients>;
  /** The trainable variables' values after a step, for every replica. */
  setWeights(values: Float32Array[]): Promise<void>;
  /** Frees the replicas (the workers may stay for the next phase). */
  stop(): Promise<void>;
}
