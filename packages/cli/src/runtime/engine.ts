import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  type BackboneAccelerator,
  createOnnxAccelerator,
  type OrtModule,
  writeFileAtomic,
} from '@graft/core/advanced';
import { UsageError } from '../errors.js';
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

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Exported graphs on disk under GRAFT_HOME/onnx, keyed by weights hash and outputs, each with its
 * sha256 beside it (`.onnx.sha256`), written atomically. A graph that does not match its hash (a
 * flipped bit, a truncated or empty file) is deleted and built again; a cache that cannot be
 * written (read-only, full) leaves the graph uncached, with one note.
 */
export function diskGraphCache(dir: string, warn: (message: string) => void) {
  let unwritable = false;
  return {
    async get(key: string) {
      const file = join(dir, `${key}.onnx`);
      let bytes: Uint8Array;
      let expected: string;
      try {
        bytes = new Uint8Array(await readFile(file));
      } catch {
        return undefined;
      }
      try {
        expected = (await readFile(`${file}.sha256`, 'utf8')).trim();
      } catch {
        expected = '';
      }
      if (sha256(bytes) === expected) return bytes;
      warn(`${file} does not match its sha256 (damaged or incomplete): building it again`);
      await rm(file, { force: true });
      await rm(`${file}.sha256`, { force: true });
      return undefined;
    },
    async set(key: string, bytes: Uint8Array) {
      if (unwritable) return;
      const file = join(dir, `${key}.onnx`);
      try {
        await writeFileAtomic(file, bytes);
        await writeFileAtomic(`${file}.sha256`, `${sha256(bytes)}\n`);
      } catch (err) {
        unwritable = true;
        await rm(file, { force: true }).catch(() => {});
        warn(
          `cannot keep the ONNX graph in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): it is rebuilt each run`,
        );
      }
    },
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
    cache: diskGraphCache(join(graftHome, 'onnx'), warn),
    onFallback: (reason) => warn(`the frozen backbone runs in tfjs: ${reason}`),
  });
  return { engine: 'onnx', accelerator, description: name };
}
