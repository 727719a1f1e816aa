import { homedir } from 'node:os';
import { join } from 'node:path';
import { env } from '../env.js';
import type { ModelSpec, WeightFileSpec } from '../spec.js';

/** The cache root: `env.cacheDir`, `$GRAFT_HOME`, `$XDG_CACHE_HOME/graft` or `~/.cache/graft`. */
export function graftHome(): string {
  if (env.cacheDir) return env.cacheDir;
  if (process.env.GRAFT_HOME) return process.env.GRAFT_HOME;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'graft');
  return join(homedir(), '.cache', 'graft');
}

/** `GRAFT_OFFLINE=1` (or `true`/`yes`) unless `env.offline` says otherwise. */
export function offlineByDefault(): boolean {
  if (env.offline !== undefined) return env.offline;
  return /^(1|true|yes)$/i.test(process.env.GRAFT_OFFLINE ?? '');
}

/** `env.mirror` or `$GRAFT_MIRROR`. */
export function mirrorByDefault(): string | undefined {
  return env.mirror ?? (process.env.GRAFT_MIRROR || undefined);
}

/** Folder of one model's files in the cache. */
export function modelDir(spec: Pick<ModelSpec, 'id'>): string {
  return join(graftHome(), 'models', spec.id);
}

/** Where a weight file lives in the cache. */
export function weightFilePath(spec: Pick<ModelSpec, 'id'>, file: WeightFileSpec): string {
  return join(modelDir(spec), file.fileName);
}

/** Where the converted copy with this key lives (`resnet50/imagenet-notop-<md5>`). */
export function convertedDir(key: string): string {
  const [id = key, rest = 'default'] = key.split('/');
  return join(graftHome(), 'models', id, 'converted', rest);
}
