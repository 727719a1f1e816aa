import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
 * After a crash, {@link recoverReplacedFolder} puts back what a replace left behind.
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

/**
 * Puts a folder back after a crash inside {@link replaceFolderAtomic}: between its two renames
 * (`dir` gone, `dir.old-X` and the complete `dir.tmp-X` beside it) the new copy takes its place;
 * a lone `dir.old-X` becomes `dir` again if `dir` is missing; other leftovers (a `dir.tmp-X` that
 * may be half-written, an `old` copy already replaced) are removed. Call it only while no other
 * process replaces `dir` (under the lock that guards it). Returns what it did, for a note.
 */
export async function recoverReplacedFolder(dir: string): Promise<string | null> {
  const parent = dirname(dir);
  const name = basename(dir);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return null;
  }
  const leftovers = (kind: 'tmp' | 'old') =>
    new Map(
      entries
        .filter((e) => e.startsWith(`${name}.${kind}-`))
        .map((e) => [e.slice(name.length + kind.length + 2), join(parent, e)] as const),
    );
  const temps = leftovers('tmp');
  const olds = leftovers('old');
  if (temps.size === 0 && olds.size === 0) return null;
  let note: string | null = null;
  if (!entries.includes(name)) {
    // a temp whose old copy exists was complete: the crash came between the two renames
    const complete = [...temps.keys()].find((suffix) => olds.has(suffix));
    const source = complete !== undefined ? temps.get(complete) : [...olds.values()][0];
    if (source) {
      await rename(source, dir);
      note = `${dir} restored from ${basename(source)} (a save was interrupted)`;
      if (complete !== undefined) temps.delete(complete);
      else olds.delete([...olds.keys()][0]!);
    }
  }
  for (const path of [...temps.values(), ...olds.values()]) await rm(path, { recursive: true, force: true });
  return note ?? `${dir}: removed what an interrupted save left beside it`;
}
