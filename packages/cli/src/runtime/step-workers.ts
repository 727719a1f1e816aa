import { Worker } from 'node:worker_threads';
import type { ReplicaGradients, ReplicaPart, ReplicaSetup, StepWorkers } from '@graft/core/replica';

type Request =
  | { type: 'start'; setup: ReplicaSetup }
  | { type: 'step'; part: ReplicaPart }
  | { type: 'weights'; values: Float32Array[] }
  | { type: 'stop' };

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/**
 * {@link StepWorkers} on Node worker threads, each with its own tfjs wasm backend (which runs one
 * thread in Node): fine-tuning then uses `count + 1` cores. Threads start with the first phase and
 * stay until `terminate`.
 */
export function createStepWorkers(
  count: number,
  /** The worker script (default: the built step-worker.js beside this module). */
  script: URL = new URL('./step-worker.js', import.meta.url),
): StepWorkers & { terminate(): Promise<void> } {
  const workers: Worker[] = [];
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextId = 0;
  let failure: Error | null = null;

  function spawn(): Worker {
    const worker = new Worker(script);
    worker.on('message', (reply: Reply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.value);
      else
        waiting?.reject(
          new Error(`a training worker failed: ${reply.error} (--workers 0 trains on one thread)`),
        );
    });
    const fail = (err: Error) => {
      failure = new Error(`a training worker stopped: ${err.message} (--workers 0 trains on one thread)`);
      for (const waiting of pending.values()) waiting.reject(failure);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`exit code ${code}`));
    });
    return worker;
  }

  function call<T>(worker: number, request: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    if (failure) return Promise.reject(failure);
    if (!workers[worker]) return Promise.reject(new Error(`training worker ${worker} is not started`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      workers[worker]!.postMessage({ id, ...request }, transfer);
    });
  }
  const everyWorker = (request: Request) => Promise.all(workers.map((_, i) => call(i, request)));

  return {
    size: count,
    async start(setup) {
      while (workers.length < count) workers.push(spawn());
      await everyWorker({ type: 'start', setup });
    },
    step(worker, part) {
      return call<ReplicaGradients>(
        worker,
        { type: 'step', part },
        part.rows.map((r) => r.buffer as ArrayBuffer),
      );
    },
    async setWeights(values) {
      await everyWorker({ type: 'weights', values });
    },
    async stop() {
      if (!failure) await everyWorker({ type: 'stop' });
    },
    async terminate() {
      await Promise.all(workers.splice(0).map((w) => w.terminate()));
    },
  };
}
