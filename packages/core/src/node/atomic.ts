import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes a file via a temporary name and a rename: a crash never leaves half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Fills a folder atomically: `fill` writes into a temporary sibling, which then replaces `dir`
 * (the old content is moved aside first and removed after, so `dir` is never half-written).
 */
export async function replaceFolderAtomic(dir: string, fill: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const suffix = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const temp = `${dir}.tmp-${suffix}`;
  const old = `${dir}.old-${suffix}`;
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
    let hadOld = true;
    try {
      await rename(dir, old);
    } catch {
      hadOld = false;
    }
    await rename(temp, dir);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}
