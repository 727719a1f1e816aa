import { bundledWasmFiles, startBundledWorker } from './assets.js';
import { type EngineClient, mainThreadClient, workerClient } from './client.js';
import { message, type Reporter } from './events.js';
import type { BackendPreference, EngineEvent, EngineInfo } from './protocol.js';

const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

/** What the connection tells the element. */
export interface ConnectionHost {
  onEvent(event: EngineEvent): void;
  /** The engine runs (where, and what it fell back from). */
  onStart(info: EngineInfo): void;
  report: Pick<Reporter, 'fail'>;
}

/**
 * The element's engine, started on first use: in a worker when one can run the backend, else on
 * the main thread, with why in the notes.
 */
export class EngineConnection {
  private client: EngineClient | null = null;
  private starting: Promise<EngineClient> | null = null;

  /**
   * @param element reads `backend`, `worker`, `worker-url` and `wasm-url` when the engine starts
   * @param scriptUrl the element's script: the worker and the `.wasm` files are beside it by default
   */
  constructor(
    private readonly element: Pick<Element, 'getAttribute'>,
    private readonly scriptUrl: string,
    private readonly host: ConnectionHost,
  ) {}

  /** Whether the engine has been asked for (it may still be starting). */
  get started(): boolean {
    return this.starting !== null;
  }

  /** The engine, once it runs. */
  get current(): EngineClient | null {
    return this.client;
  }

  /** The engine, started if it is not yet. */
  get(): Promise<EngineClient> {
    if (this.client) return Promise.resolve(this.client);
    this.starting ??= this.start().then((c) => (this.client = c));
    return this.starting;
  }

  private async start(): Promise<EngineClient> {
    const attribute = (name: string) => this.element.getAttribute(name);
    const backend = (attribute('backend') ?? 'auto') as BackendPreference;
    if (!BACKENDS.includes(backend))
      throw this.host.report.fail(
        `backend="${backend}" is not one of ${BACKENDS.join(', ')}`,
        'fix the backend attribute',
      );
    const wasmUrl = attribute('wasm-url');
    const wasmPaths = wasmUrl ? new URL(wasmUrl, this.scriptUrl).href : bundledWasmFiles();
    const notes: string[] = [];
    const onEvent = (event: EngineEvent) => this.host.onEvent(event);
    if (attribute('worker') !== 'off' && typeof Worker !== 'undefined') {
      const workerUrl = attribute('worker-url');
      let client: EngineClient | null = null;
      try {
        client = workerClient(
          workerUrl
            ? new Worker(new URL(workerUrl, this.scriptUrl), { type: 'module', name: 'graft-trainer' })
            : startBundledWorker(),
          onEvent,
        );
        this.host.onStart(await client.call('init', { backend, wasmPaths }));
        return client;
      } catch (err) {
        client?.terminate();
        notes.push(
          `a worker could not run ${backend === 'auto' ? 'any backend' : backend} (${message(err)}); training runs on the main thread`,
        );
      }
    } else {
      notes.push('training runs on the main thread (worker="off" or no Worker support)');
    }
    const client = await mainThreadClient(onEvent);
    const info = await client.call('init', { backend, wasmPaths });
    this.host.onStart({ ...info, notes: [...notes, ...info.notes] });
    return client;
  }
}
