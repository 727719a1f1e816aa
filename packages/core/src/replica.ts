/**
 * @graft/core/replica — what a worker thread needs to compute parts of fine-tuning steps beside
 * the training thread (the CLI's step workers): `createReplica` and the messages' types.
 * @packageDocumentation
 */
import * as tfc from '@tensorflow/tfjs-core';
import { loadClassifier } from './classifier/create.js';
import type { Replica, ReplicaSetup } from './train/replica/types.js';

export type {
  Replica,
  ReplicaGradients,
  ReplicaPart,
  ReplicaSetup,
  StepWorkers,
} from './train/replica/types.js';

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
