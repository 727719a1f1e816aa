import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { whyUnwritable } from '@graft/zoo';
import type { BackboneAccelerator } from '../features/accelerator.js';
import { createOnnxAccelerator, type OrtModule } from '../features/onnx-accelerator.js';
import { writeFileAtomic } from './atomic.js';

/** onnxruntime-node, an optional peer dependency; a string says why it cannot be used. */
export async function loadOnnxRuntime(): Promise<{ ort: OrtModule; version: string } | string> {
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
        warn(`cannot keep the ONNX graph in ${dir} (${whyUnwritable(err)}): it is rebuilt each run`);
      }
    },
  };
}

/** ONNX Runtime on this machine's CPU threads as the engine for frozen backbones. */
export interface NodeOnnxEngine {
  accelerator: BackboneAccelerator;
  /** e.g. `onnxruntime-node 1.30.0 (cpu, 2 threads)`. */
  description: string;
}

/**
 * Runs frozen backbones on onnxruntime-node (about 12× tfjs wasm on a CPU), with the exported
 * graphs cached in `cacheDir` ({@link diskGraphCache}); the reason as a string when onnxruntime-node
 * cannot load. Give the accelerator to `createClassifier({ accelerator })` or `clf.accelerator`.
 */
export async function createNodeOnnxEngine(options: {
  cacheDir: string;
  warn?: (message: string) => void;
}): Promise<NodeOnnxEngine | string> {
  const loaded = await loadOnnxRuntime();
  if (typeof loaded === 'string') return loaded;
  const warn = options.warn ?? (() => {});
  const threads = availableParallelism();
  const description = `onnxruntime-node${loaded.version ? ` ${loaded.version}` : ''} (cpu, ${threads} thread${threads === 1 ? '' : 's'})`;
  const accelerator = createOnnxAccelerator({
    ort: loaded.ort,
    name: description,
    threads,
    cache: diskGraphCache(options.cacheDir, warn),
    onFallback: (reason) => warn(`the frozen backbone runs in tfjs: ${reason}`),
  });
  return { accelerator, description };
}
