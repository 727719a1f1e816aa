import { type ActiveBackend, BACKEND_CHOICES, type BackendChoice, selectBackend } from '@graft/core/advanced';
import { graftHome } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { UsageError } from '../errors.js';
import { type ActiveEngine, selectEngine } from './engine.js';

/** Selects the backend and says on stderr which one runs (stdout stays for results). */
export async function startRuntime(backend: string | undefined, quiet = false): Promise<ActiveBackend> {
  const choice = (backend ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got '${backend}'`);
  }
  tfc.enableProdMode(); // the CLI says itself which backend runs; no tfjs banners on stderr
  const active = await selectBackend(choice);
  if (!quiet) process.stderr.write(`graft: backend ${active.choice} (${active.pkg})\n`);
  return active;
}

/** The `--mirror` option every command that may download weights takes (as `graft zoo pull`). */
export const MIRROR_OPTION = [
  '--mirror <url>',
  'base URL that replaces the official one for weight downloads (an air-gapped mirror; default $GRAFT_MIRROR)',
] as const;

/** The `--engine` option every command that runs a backbone takes. */
export const ENGINE_OPTION = [
  '--engine <name>',
  'frozen backbone on auto, onnx (ONNX Runtime) or tfjs; auto: ONNX Runtime when installed, tfjs on tfjs-node-gpu',
  'auto',
] as const;

/** Selects the engine for frozen backbones and says on stderr which one runs. */
export async function startEngine(
  engine: string | undefined,
  backend: ActiveBackend,
  quiet = false,
): Promise<ActiveEngine> {
  const warn = (m: string) => process.stderr.write(`graft: warning: ${m}\n`);
  const active = await selectEngine(engine, backend, graftHome(), warn);
  if (!quiet) process.stderr.write(`graft: frozen backbone on ${active.description}\n`);
  return active;
}
