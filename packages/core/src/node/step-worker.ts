// A worker thread of createStepWorkers: one replica of the classifier being fine-tuned, on its own
// backend (named by the parent), computing the parts of each step it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import * as tfc from '@tensorflow/tfjs-core';
import { createReplica } from '../replica.js';
import type { Replica, ReplicaPart, ReplicaSetup } from '../train/replica/types.js';

type Message = { id: number } & (
  | { type: 'start'; setup: ReplicaSetup }
  | { type: 'step'; part: ReplicaPart }
  | { type: 'weights'; values: Float32Array[] }
  | { type: 'stop' }
);

const { backend, backendModule } = workerData as { backend: string; backendModule: string };
const port = parentPort!;
let replica: Replica | null = null;
let queue: Promise<void> = Promise.resolve();

async function handle(message: Message): Promise<void> {
  try {
    let value: unknown;
    let transfer: ArrayBuffer[] = [];
    switch (message.type) {
      case 'start':
        if (tfc.getBackend() !== backend) {
          await import(backendModule);
          tfc.enableProdMode();
          if (!(await tfc.setBackend(backend)))
            throw new Error(`backend '${backend}' cannot start in a worker`);
        }
        replica?.dispose();
        replica = await createReplica(message.setup);
        break;
      case 'step': {
        if (!replica) throw new Error('no replica started');
        const result = await replica.step(message.part);
        // own copies: a backend's read may be a view of its memory, which must not be transferred
        const grads = result.grads.map((g) => (g ? new Float32Array(g) : null));
        value = { ...result, grads };
        transfer = grads.filter((g) => g !== null).map((g) => g.buffer as ArrayBuffer);
        break;
      }
      case 'weights':
        replica?.setWeights(message.values);
        break;
      case 'stop':
        replica?.dispose();
        replica = null;
        break;
    }
    port.postMessage({ id: message.id, ok: true, value }, transfer);
  } catch (err) {
    port.postMessage({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

// one message at a time, in order: a step always sees the weights sent before it
port.on('message', (message: Message) => {
  queue = queue.then(() => handle(message));
});
