import { join } from 'node:path';
import { type ActiveBackend, type BackboneAccelerator, createNodeOnnxEngine } from '@graft/core/advanced';
import { UsageError } from '../errors.js';

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
): Promise<ActiveEngine> {
  const wanted = (choice ?? 'auto') as EngineChoice;
  if (!ENGINE_CHOICES.includes(wanted))
    throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, got '${choice}'`);
  const tfjs: ActiveEngine = { engine: 'tfjs', accelerator: null, description: `tfjs (${backend.choice})` };
  if (wanted === 'tfjs' || (wanted === 'auto' && backend.choice === 'tensorflow-gpu')) return tfjs;
  const onnx = await createNodeOnnxEngine({ cacheDir: join(graftHome, 'onnx'), warn });
  if (typeof onnx === 'string') {
    if (wanted === 'onnx')
      throw new UsageError(`--engine onnx: ${onnx}; install it with \`npm install onnxruntime-node\``);
    return tfjs;
  }
  return { engine: 'onnx', ...onnx };
}
