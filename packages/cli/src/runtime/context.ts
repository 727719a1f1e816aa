import * as tfc from '@tensorflow/tfjs-core';
import { UsageError } from '../errors.js';
import { type ActiveBackend, BACKEND_CHOICES, type BackendChoice, selectBackend } from './backend.js';

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
