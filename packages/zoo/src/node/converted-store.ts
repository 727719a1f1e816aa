import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  CONVERTED_MANIFEST_FILE,
  type ConvertedFiles,
  type ConvertedReader,
  MODEL_JSON_FILE,
} from '../weights/converted.js';
import { convertedDir } from './cache-dir.js';

/** Reads a converted model folder on disk. */
export function diskConvertedReader(dir: string): ConvertedReader {
  return {
    location: dir,
    readText: (path) => readFile(join(dir, path), 'utf8'),
    readBytes: async (path) => new Uint8Array(await readFile(join(dir, path))),
  };
}

/**
 * Writes a converted model folder atomically: into a temporary sibling folder, then one rename,
 * so a crash never leaves a half-written copy under the final name. An existing folder is replaced.
 */
export async function writeConvertedFolder(dir: string, files: ConvertedFiles): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const temp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(temp, { recursive: true });
  try {
    for (const [path, data] of files.shards) await writeFile(join(temp, path), data);
    await writeFile(join(temp, MODEL_JSON_FILE), JSON.stringify(files.modelJson));
    await writeFile(join(temp, CONVERTED_MANIFEST_FILE), `${JSON.stringify(files.manifest, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** The converted-copy cache under the Graft cache root. */
export const diskConvertedCache = {
  async open(key: string): Promise<ConvertedReader | null> {
    const dir = convertedDir(key);
    try {
      await stat(join(dir, CONVERTED_MANIFEST_FILE));
    } catch {
      return null;
    }
    return diskConvertedReader(dir);
  },
  // best effort: a cache that cannot be written (read-only, full) costs the next load a re-read of the .h5
  save: (key: string, files: ConvertedFiles) =>
    writeConvertedFolder(convertedDir(key), files).catch(() => {}),
  remove: (key: string) => rm(convertedDir(key), { recursive: true, force: true }),
};
