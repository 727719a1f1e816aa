import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type BackboneAccelerator, createOnnxAccelerator, type OrtModule } from '@graft/core';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../runs/atomic.js';
import type { ActiveBackend } from './backend.js';

/** Engines for the frozen part of a backbone. */
export const ENGINE_CHOICES = ['auto', 'onnx', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

/** The engine that runs frozen backbones, and the accelerator that gives it to @graft/core. */
export interface ActiveEngine {
  engine: 'onnx' | 'tfjs';
  accelerator: BackboneAccelerator | null;
  /** For the startup line and run records. */
  description: string;
}

async function loadOrt(): Promise<{ ort: OrtModule; version: string } | string> {
  try {
    const ort = (await import('onnxruntime-node')) as unknown as OrtModule & {
      env?: { versions?: { node?: string } };
    };
    return { ort, version: ort.env?.versions?.node ?? '' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      return 'onnxruntime-node is not installed';
    return `onnxruntime-node failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

/** Exported graphs on disk under GRAFT_HOME/onnx, keyed by weights hash and outputs; written atomically. */
function diskGraphCache(dir: string) {
  return {
    async get(key: string) {
      try {
        return new Uint8Array(await readFile(join(dir, `${key}.onnx`)));
      } catch {
        return undefined;
      }
    },
    set: (key: string, bytes: Uint8Array) => writeFileAtomic(join(dir, `${key}.onnx`), bytes),
  };
}

/**
 * Picks the engine for frozen backbones: `auto` keeps tfjs on tfjs-node-gpu (a GPU beats both),
 * else uses ONNX Runtime when onnxruntime-node loads, else tfjs. `onnx` asked for by name and
 * unavailable is an error naming what to install.
 */
export async function selectEngine(
  choice: string | undefined,
  backend: ActiveBackend,
  graftHome: string,
  warn: (message: string) => void,
): Promise<ActiveEngine> {
  const wanted = (choice ?? 'auto') as EngineChoice;
  if (!ENGINE_CHOICES.includes(wanted))
    throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, got '${choice}'`);
  const tfjs: ActiveEngine = { engine: 'tfjs', accelerator: null, description: `tfjs (${backend.choice})` };
  if (wanted === 'tfjs' || (wanted === 'auto' && backend.choice === 'tensorflow-gpu')) return tfjs;
  const loaded = await loadOrt();
  if (typeof loaded === 'string') {
    if (wanted === 'onnx')
      throw new UsageError(`--engine onnx: ${loaded}; install it with \`npm install onnxruntime-node\``);
    return tfjs;
  }
  const threads = availableParallelism();
  const name = `onnxruntime-node${loaded.version ? ` ${loaded.version}` : ''} (cpu, ${threads} thread${threads === 1 ? '' : 's'})`;
  const accelerator = createOnnxAccelerator({
    ort: loaded.ort,
    name,
    threads,
    cache: diskGraphCache(join(graftHome, 'onnx')),
    onFallback: (reason) => warn(`the frozen backbone runs in tfjs: ${reason}`),
  });
  return { engine: 'onnx', accelerator, description: name };
}
