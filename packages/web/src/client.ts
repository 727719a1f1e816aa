import type { Args, EngineEvent, MethodName, ReplyMessage, Result } from './protocol.js';

/** Calls into the engine, wherever it runs. */
export interface EngineClient {
  readonly thread: 'worker' | 'main';
  call<M extends MethodName>(
    method: M,
    args: Args<M>,
    transfer?: Transferable[],
  ): Promise<Awaited<Result<M>>>;
  terminate(): void;
}

/** An engine in `worker` (a module worker running graft-worker.js). */
export function workerClient(worker: Worker, onEvent: (event: EngineEvent) => void): EngineClient {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 1;
  let broken: Error | null = null;
  worker.addEventListener('message', (message: MessageEvent<ReplyMessage>) => {
    const data = message.data;
    if ('event' in data) return onEvent(data.event);
    const waiting = pending.get(data.id);
    pending.delete(data.id);
    if (!waiting) return;
    if (data.ok) waiting.resolve(data.result);
    else waiting.reject(new Error(data.error));
  });
  const fail = (error: Error) => {
    broken = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    fail(
      new Error(
        `the training worker failed to start or crashed (${event.message || 'is graft-worker.js served?'})`,
      ),
    );
  });
  worker.addEventListener('messageerror', () =>
    fail(new Error('the training worker sent a message that could not be read')),
  );
  return {
    thread: 'worker',
    call(method, args, transfer = []) {
      if (broken) return Promise.reject(broken);
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        worker.postMessage({ id, method, args }, transfer);
      });
    },
    terminate() {
      worker.terminate();
      fail(new Error('the trainer was shut down'));
    },
  };
}

/** An engine on the page's main thread, for where a worker cannot run (it blocks the page while it trains). */
export async function mainThreadClient(onEvent: (event: EngineEvent) => void): Promise<EngineClient> {
  const { TrainerEngine } = await import('./engine/engine.js');
  const engine = new TrainerEngine(onEvent, 'main');
  return {
    thread: 'main',
    async call(method, args) {
      const run = engine[method] as (a: unknown) => unknown;
      return (await run.call(engine, args)) as never;
    },
    terminate() {},
  };
}
