import type { EngineEvent, ReplyMessage, RequestMessage } from '../protocol.js';
import { TrainerEngine } from './engine.js';

/** Buffers in a reply that can move to the other side instead of being copied. */
function transferables(value: unknown, out: Transferable[] = [], depth = 0): Transferable[] {
  if (depth > 4 || value === null || typeof value !== 'object') return out;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && !out.includes(value.buffer)) out.push(value.buffer);
    return out;
  }
  for (const v of Object.values(value)) transferables(v, out, depth + 1);
  return out;
}

/** Any message port: a worker's global scope, or a test double. */
export interface Port {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** Answers requests on a port with a {@link TrainerEngine}, in a Web Worker. */
export function serveEngine(port: Port): void {
  const engine = new TrainerEngine(
    (event: EngineEvent) => port.postMessage({ event } satisfies ReplyMessage),
    'worker',
  );
  port.addEventListener('message', async (message: MessageEvent) => {
    const { id, method, args } = message.data as RequestMessage;
    try {
      const run = engine[method] as (a: unknown) => unknown;
      const result = await run.call(engine, args);
      port.postMessage({ id, ok: true, result } satisfies ReplyMessage, transferables(result));
    } catch (err) {
      port.postMessage({
        id,
        ok: false,
        error: err instanceof Error ? err.message : String(err),
      } satisfies ReplyMessage);
    }
  });
}
