import type * as tfc from '@tensorflow/tfjs-core';
import type { ReplicaGradients, ReplicaPart, ReplicaSetup, StepWorkers } from '../train/replica/types.js';

/** The step workers of one fine-tuning phase, started lazily. */
export interface PhaseWorkers {
  /** Replicas alongside this thread (0 without workers). */
  readonly size: number;
  /** Before each step: starts the replicas with the first, then gives them the current weights. */
  sync(): Promise<void>;
  step(worker: number, part: ReplicaPart): Promise<ReplicaGradients>;
  /** Stops the replicas if they were started. */
  stop(): Promise<void>;
}

/** Wraps `workers` (or none) for a phase that trains `variables`; `setup` is made at the first step. */
export function workerPool(
  workers: StepWorkers | null,
  variables: tfc.Variable[],
  setup: () => Promise<ReplicaSetup>,
): PhaseWorkers {
  let started = false;
  return {
    size: workers?.size ?? 0,
    async sync() {
      if (!workers) return;
      if (started) await workers.setWeights(variables.map((v) => v.dataSync() as Float32Array));
      else {
        started = true;
        await workers.start(await setup());
      }
    },
    step(worker, part) {
      if (!workers) throw new Error('no step workers');
      return workers.step(worker, part);
    },
    async stop() {
      if (started) await workers?.stop();
    },
  };
}
