import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { candidateUrls } from '../env.js';
import type { LoadBackboneOptions } from '../load-backbone.js';
import { getModel, listModels } from '../registry.js';
import type { ModelSpec, WeightFileSpec } from '../spec.js';
import { graftHome, mirrorByDefault, modelDir, offlineByDefault, weightFilePath } from './cache-dir.js';
import { checkFile, type DownloadOptions, downloadFile, md5File } from './download.js';

/** A sidecar that records a successful check, so an unchanged file is not re-hashed on every load. */
function stampPath(path: string): string {
  return `${path}.verified`;
}

async function stampOf(path: string): Promise<string> {
  const info = await stat(path);
  return `${info.size}:${info.mtimeMs}`;
}

async function verifiedBefore(path: string): Promise<boolean> {
  try {
    return (await readFile(stampPath(path), 'utf8')) === (await stampOf(path));
  } catch {
    return false;
  }
}

/** Best effort: in a read-only cache the file is simply checked again next time. */
async function markVerified(path: string): Promise<void> {
  await writeFile(stampPath(path), await stampOf(path)).catch(() => {});
}

/** Hashes a cached file: stamps it verified when it passes, deletes it (and its stamp) when not. */
async function checkOrDelete(path: string, file: WeightFileSpec): Promise<string | null> {
  const problem = await checkFile(path, file);
  if (problem === null) await markVerified(path);
  else {
    await rm(path, { force: true });
    await rm(stampPath(path), { force: true });
  }
  return problem;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function offlineMessage(spec: ModelSpec, file: WeightFileSpec, path: string): string {
  return (
    `${spec.id}: the weight file ${file.fileName} is not in the cache (${path}) and offline mode is on ` +
    '(GRAFT_OFFLINE=1 or offline: true). On a machine with network, get it with ' +
    `\`graft zoo pull ${spec.id}${file === anyTop(spec) ? ' --top' : ''}\` (or from ${file.urls[0]}), copy it here and run ` +
    `\`graft zoo import ${spec.id} ${file.fileName}\`; or turn offline mode off.`
  );
}

function anyTop(spec: ModelSpec): WeightFileSpec | undefined {
  return Object.values(spec.weights).find((w) => w.top)?.top;
}

/**
 * Returns the path of a verified copy of a registered weight file in the cache, downloading it
 * (resumable, locked, verified) when it is missing. A cached file that fails its check is deleted
 * and fetched again, never used.
 */
export async function ensureWeightFile(
  spec: ModelSpec,
  file: WeightFileSpec,
  options: LoadBackboneOptions & DownloadOptions = {},
): Promise<string> {
  const path = weightFilePath(spec, file);
  const offline = options.offline ?? offlineByDefault();
  if (await exists(path)) {
    if (await verifiedBefore(path)) return path;
    const problem = await checkOrDelete(path, file);
    if (problem === null) return path;
    if (offline) {
      throw new Error(
        `${path} failed verification (${problem}) and was deleted. ${offlineMessage(spec, file, path)}`,
      );
    }
  }
  if (offline) throw new Error(offlineMessage(spec, file, path));
  const urls = candidateUrls(file.urls, file.fileName, options.mirror ?? mirrorByDefault());
  await downloadFile(urls, path, file, options);
  await markVerified(path);
  return path;
}

/**
 * Checks a cached weight file in full (md5 and size), whatever its stamp says: a file that fails
 * is deleted with its stamp and the problem returned; null when it passes (or is not cached).
 */
export async function recheckWeightFile(spec: ModelSpec, file: WeightFileSpec): Promise<string | null> {
  const path = weightFilePath(spec, file);
  if (!(await exists(path))) return null;
  const problem = await checkOrDelete(path, file);
  return problem === null ? null : `${path}: ${problem}`;
}

/** Which of a model's weight files a file on disk is, by md5. */
export function identifyWeightFile(
  spec: ModelSpec,
  md5: string,
): { variant: string; file: WeightFileSpec } | null {
  for (const [variant, w] of Object.entries(spec.weights)) {
    for (const file of [w.top, w.notop]) if (file?.md5 === md5) return { variant, file };
  }
  return null;
}

/**
 * Copies a hand-carried weight file into the cache after checking that its md5 is one of the
 * model's files (`graft zoo import resnet50 file.h5`). Written to a temporary name, then renamed.
 */
export async function importWeightFile(
  id: string,
  source: string,
): Promise<{ path: string; variant: string; file: WeightFileSpec }> {
  const spec = getModel(id);
  try {
    await stat(source);
  } catch {
    throw new Error(`cannot import ${source}: no such file`);
  }
  const md5 = await md5File(source);
  const rejected = spec.rejectedFiles?.find((r) => r.md5 === md5);
  if (rejected) throw new Error(`${source} is ${rejected.reason}; it was not imported`);
  const match = identifyWeightFile(spec, md5);
  if (!match) {
    const expected = Object.entries(spec.weights)
      .flatMap(([v, w]) =>
        [w.notop, w.top].filter(Boolean).map((f) => `${f!.fileName} (${v}, md5 ${f!.md5})`),
      )
      .join(', ');
    throw new Error(
      `${source} has md5 ${md5}, which is none of ${spec.id}'s weight files: ${expected}. It was not imported.`,
    );
  }
  const dest = weightFilePath(spec, match.file);
  await mkdir(dirname(dest), { recursive: true });
  const temp = `${dest}.import-${process.pid}`;
  await copyFile(source, temp);
  const problem = await checkFile(temp, match.file);
  if (problem !== null) {
    await rm(temp, { force: true });
    throw new Error(`copy of ${source} failed verification (${problem}); nothing was imported`);
  }
  await rename(temp, dest);
  await markVerified(dest);
  return { path: dest, ...match };
}

/** One line of `graft zoo list`. */
export interface CachedFileInfo {
  model: string;
  variant: string;
  top: boolean;
  fileName: string;
  bytes: number;
  path: string;
  cached: boolean;
}

/** Every weight file the zoo knows, and whether it is in the cache. */
export async function listWeightFiles(): Promise<CachedFileInfo[]> {
  const out: CachedFileInfo[] = [];
  for (const spec of listModels()) {
    for (const [variant, w] of Object.entries(spec.weights)) {
      for (const [top, file] of [
        [false, w.notop],
        [true, w.top],
      ] as const) {
        if (!file) continue;
        const path = weightFilePath(spec, file);
        out.push({
          model: spec.id,
          variant,
          top,
          fileName: file.fileName,
          bytes: file.bytes,
          path,
          cached: await exists(path),
        });
      }
    }
  }
  return out;
}

/** Re-hashes every cached weight file; a file that fails is deleted (it would be fetched again). */
export async function verifyCache(): Promise<{ path: string; ok: boolean; problem?: string }[]> {
  const results: { path: string; ok: boolean; problem?: string }[] = [];
  for (const info of await listWeightFiles()) {
    if (!info.cached) continue;
    const spec = getModel(info.model);
    const file = info.top ? spec.weights[info.variant]?.top : spec.weights[info.variant]?.notop;
    if (!file) continue;
    const problem = await checkOrDelete(info.path, file);
    results.push(problem === null ? { path: info.path, ok: true } : { path: info.path, ok: false, problem });
  }
  return results;
}

/** Removes everything cached for one model (weight files and converted copies). */
export async function removeCachedModel(id: string): Promise<string> {
  const dir = modelDir(getModel(id));
  await rm(dir, { recursive: true, force: true });
  return dir;
}

/** Size in bytes of everything under the cache root. */
export async function cacheSize(dir = graftHome()): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await cacheSize(p) : (await stat(p)).size;
  }
  return total;
}
