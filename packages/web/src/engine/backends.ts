import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import { BACKEND_ORDER, type BackendName, type BackendPreference } from '../protocol.js';

/** The backend chosen and, for each faster one skipped, why. */
export interface BackendChoice {
  backend: BackendName;
  notes: string[];
}

function unavailableReason(name: BackendName): string | null {
  if (name === 'webgpu' && !(globalThis.navigator as { gpu?: unknown } | undefined)?.gpu)
    return 'WebGPU is not available in this browser';
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined')
    return 'WebGL needs OffscreenCanvas here';
  if (name === 'wasm' && typeof WebAssembly === 'undefined') return 'WebAssembly is not available';
  return null;
}

/**
 * Whether tfjs-backend-wasm's threads can start here: they need cross-origin isolation
 * (SharedArrayBuffer) and a Content-Security-Policy that lets blob: workers load blob: scripts.
 * Tried with a two-line worker, because a refused thread makes wasm hang instead of failing.
 */
async function wasmThreadsWork(): Promise<boolean> {
  if (!(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated || typeof Worker === 'undefined')
    return false;
  const urls: string[] = [];
  try {
    const inner = URL.createObjectURL(new Blob(['postMessage(1)'], { type: 'text/javascript' }));
    const outer = URL.createObjectURL(
      new Blob([`importScripts(${JSON.stringify(inner)})`], { type: 'text/javascript' }),
    );
    urls.push(inner, outer);
    const worker = new Worker(outer);
    return await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        worker.terminate();
        resolve(ok);
      };
      worker.onmessage = () => done(true);
      worker.onerror = (event) => {
        event.preventDefault();
        done(false);
      };
      setTimeout(() => done(false), 2000);
    });
  } catch {
    return false;
  } finally {
    for (const url of urls) URL.revokeObjectURL(url);
  }
}

/**
 * Whether the browser's WebGPU adapter is a software fallback (e.g. SwiftShader): correct, but far
 * slower than wasm (measured ~40× to train, 25× to predict), so `auto` passes it over.
 */
async function webgpuIsFallback(): Promise<boolean> {
  try {
    const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    const adapter = (await gpu?.requestAdapter()) as
      | { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } }
      | null
      | undefined;
    if (!adapter) return true;
    return adapter.info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  } catch {
    return false;
  }
}

/**
 * Sets the first backend that initialises, in the order webgpu → webgl → wasm → cpu (or only the one
 * asked for). `wasmPaths` is the URL of the folder holding tfjs-backend-wasm's `.wasm` files, or
 * each file's URL by name.
 */
export async function chooseBackend(
  preference: BackendPreference,
  wasmPaths: string | Record<string, string>,
): Promise<BackendChoice> {
  setWasmPaths(wasmPaths);
  const candidates = preference === 'auto' ? BACKEND_ORDER : [preference];
  const notes: string[] = [];
  for (const name of candidates) {
    const missing = unavailableReason(name);
    if (missing) {
      notes.push(`${name}: ${missing}`);
      continue;
    }
    if (name === 'webgpu' && preference === 'auto' && (await webgpuIsFallback())) {
      notes.push(
        'webgpu: only a software (fallback) adapter, slower than wasm here; backend="webgpu" forces it',
      );
      continue;
    }
    if (name === 'wasm' && !(await wasmThreadsWork())) {
      tfc.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
      notes.push(
        isolated
          ? 'wasm: one thread (the page is cross-origin isolated, but its Content-Security-Policy does not let blob: workers load blob: scripts: add blob: to script-src and worker-src)'
          : 'wasm: one thread (threads need cross-origin isolation: serve the page with COOP: same-origin and COEP: require-corp)',
      );
    }
    try {
      if (await tfc.setBackend(name)) {
        await tfc.ready();
        return { backend: name, notes };
      }
      notes.push(`${name}: it failed to initialise`);
    } catch (err) {
      notes.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    tfc.removeBackend(name);
  }
  throw new Error(`no TF.js backend could start (${notes.join('; ')})`);
}
