import { Worker } from 'node:worker_threads';
import type { ReplicaGradients, ReplicaPart, ReplicaSetup, StepWorkers } from '../train/replica/types.js';

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

/** Where step workers run, and what to say when one fails. */
export interface StepWorkerOptions {
  /** The tfjs backend each worker uses: its name and the module that registers it. */
  backend: { name: string; module: string | URL };
  /** Appended to a worker's failure, e.g. how to train without workers. */
  hint?: string;
  /** The worker script (default: the step-worker.js beside this module). */
  script?: URL;
}

/**
 * {@link StepWorkers} on Node worker threads, each with its own tfjs backend (wasm runs one thread
 * in Node, so fine-tuning then uses `count + 1` cores). Threads start with the first phase and stay
 * until `terminate`.
 *
 * @example
 * ```ts
 * const workers = createStepWorkers(1, {
 *   backend: { name: 'wasm', module: import.meta.resolve('@tensorflow/tfjs-backend-wasm') },
 * });
 * const clf = await createClassifier(backbone, { classes, stepWorkers: workers });
 * ```
 */
export function createStepWorkers(
  count: number,
  options: StepWorkerOptions,
): StepWorkers & { terminate(): Promise<void> } {
  const script = options.script ?? new URL('./step-worker.js', import.meta.url);
  const hint = options.hint ? ` (${options.hint})` : '';
  const workerData = { backend: options.backend.name, backendModule: String(options.backend.module) };
  const workers: Worker[] = [];
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextId = 0;
  let failure: Error | null = null;

  function spawn(): Worker {
    const worker = new Worker(script, { workerData });
    worker.on('message', (reply: Reply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.value);
      else waiting?.reject(new Error(`a training worker failed: ${reply.error}${hint}`));
    });
    const fail = (err: Error) => {
      failure = new Error(`a training worker stopped: ${err.message}${hint}`);
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
