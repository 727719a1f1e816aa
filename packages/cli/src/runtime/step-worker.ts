// A worker thread of createStepWorkers: one replica of the classifier being fine-tuned, on its own
// wasm backend, computing the parts of each step it is sent.
import { parentPort } from 'node:worker_threads';
import '@tensorflow/tfjs-backend-wasm';
import { createReplica, type Replica, type ReplicaPart, type ReplicaSetup } from '@graft/core/replica';
import * as tfc from '@tensorflow/tfjs-core';

type Message = { id: number } & (
  | { type: 'start'; setup: ReplicaSetup }
  | { type: 'step'; part: ReplicaPart }
  | { type: 'weights'; values: Float32Array[] }
  | { type: 'stop' }
);

const port = parentPort!;
let replica: Replica | null = null;
let queue: Promise<void> = Promise.resolve();

async function handle(message: Message): Promise<void> {
  try {
    let value: unknown;
    let transfer: ArrayBuffer[] = [];
    switch (message.type) {
      case 'start':
        if (tfc.getBackend() !== 'wasm') {
          tfc.enableProdMode();
          await tfc.setBackend('wasm');
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
