import { join } from 'node:path';
import { type ActiveBackend, type BackboneAccelerator, createNodeOnnxEngine } from '@graft/core/advanced';
import { UsageError } from '../errors.js';

/** The install that skips onnxruntime-node's optional CUDA download (its own supported flag). */
const ORT_INSTALL =
  '`npm install -g @graft/cli --onnxruntime-node-install=skip` (in a project: `npm install onnxruntime-node`)';

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
  /** How ONNX Runtime is started (a stand-in in tests). */
  createOnnx: typeof createNodeOnnxEngine = createNodeOnnxEngine,
): Promise<ActiveEngine> {
  const wanted = (choice ?? 'auto') as EngineChoice;
  if (!ENGINE_CHOICES.includes(wanted))
    throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, got '${choice}'`);
  const tfjs: ActiveEngine = { engine: 'tfjs', accelerator: null, description: `tfjs (${backend.choice})` };
  if (wanted === 'tfjs' || (wanted === 'auto' && backend.choice === 'tensorflow-gpu')) return tfjs;
  const onnx = await createOnnx({ cacheDir: join(graftHome, 'onnx'), warn });
  if (typeof onnx === 'string') {
    if (wanted === 'onnx') throw new UsageError(`--engine onnx: ${onnx}; install it with ${ORT_INSTALL}`);
    // `npm i -g @graft/cli` drops the optional dependency when its CUDA download fails: say so once
    warn(
      `${onnx}, so frozen backbones run in tfjs; ONNX Runtime runs them about 12× faster on a CPU (BENCHMARKS.md). Install it with ${ORT_INSTALL}`,
    );
    return tfjs;
  }
  return { engine: 'onnx', ...onnx };
}
