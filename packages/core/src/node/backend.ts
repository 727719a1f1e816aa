import * as tfc from '@tensorflow/tfjs-core';

/** The TensorFlow.js backends for Node, fastest first (`auto` tries them in this order). */
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

interface BackendOption {
  choice: Exclude<BackendChoice, 'auto'>;
  /** The npm package that provides it. */
  pkg: string;
  /** The tfjs backend name it registers. */
  tfName: string;
}

const OPTIONS: BackendOption[] = [
  { choice: 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  { choice: 'tensorflow', pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  { choice: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  { choice: 'cpu', pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
];

/** The backend that runs, for startup lines and run records. */
export interface ActiveBackend {
  choice: Exclude<BackendChoice, 'auto'>;
  pkg: string;
  tfName: string;
}

/** A requested backend cannot be used; the message names the package to install. */
export class BackendUnavailableError extends Error {}

/** Node's resolver sets a code; bundlers' and vite-node's only say so. */
function notInstalled(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  return /^(Cannot find (module|package)|Could not resolve|Failed to resolve import) /.test(
    err instanceof Error ? err.message : '',
  );
}

async function tryOption(option: BackendOption): Promise<string | null> {
  try {
    await import(option.pkg);
  } catch (err) {
    if (notInstalled(err)) return `${option.pkg} is not installed`;
    return `${option.pkg} failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
  try {
    if (!(await tfc.setBackend(option.tfName))) return `${option.pkg} did not initialise`;
  } catch (err) {
    return `${option.pkg} did not initialise: ${err instanceof Error ? err.message : String(err)}`;
  }
  return null;
}

/**
 * Picks and initialises the TensorFlow.js backend in Node: `auto` tries tfjs-node-gpu, tfjs-node,
 * wasm, then cpu, each loaded only if installed. A backend asked for by name that cannot load is
 * an error naming what to install.
 *
 * @example
 * ```ts
 * const { choice } = await selectBackend(); // e.g. 'wasm' where tfjs-node is not installed
 * ```
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<ActiveBackend> {
  const candidates = choice === 'auto' ? OPTIONS : OPTIONS.filter((o) => o.choice === choice);
  if (candidates.length === 0) {
    throw new BackendUnavailableError(
      `unknown backend '${choice}': use one of ${BACKEND_CHOICES.join(', ')}`,
    );
  }
  const reasons: string[] = [];
  for (const option of candidates) {
    const problem = await tryOption(option);
    if (problem === null) return { choice: option.choice, pkg: option.pkg, tfName: option.tfName };
    reasons.push(problem);
  }
  const hint =
    choice === 'auto'
      ? ''
      : ` Install it with \`npm install ${candidates[0]!.pkg}\` (or pick another backend).`;
  throw new BackendUnavailableError(`backend '${choice}' is not available: ${reasons.join('; ')}.${hint}`);
}
