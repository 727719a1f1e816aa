import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';

/** File endings graft reads as images. */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.bmp',
]);

/** One image of a data set, before decoding. */
export interface DatasetFile {
  path: string;
  label: string;
}

/** A data set as found on disk. */
export interface ScannedDataset {
  source: string;
  classes: string[];
  files: DatasetFile[];
  /** Files passed over, with the reason (hidden, not an image, unreadable, a link loop…). */
  skipped: { path: string; reason: string }[];
}

/** A data set that cannot be trained on; raised before any compute. */
export class DatasetError extends Error {}

async function kind(path: string): Promise<'dir' | 'file' | 'missing' | 'unreadable'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

/**
 * Reads a data set: a folder with one sub-folder per class (as Keras
 * `image_dataset_from_directory`; images found at any depth inside a class folder), or a CSV
 * (`path,label`, optional header) or JSONL (`{"path": ..., "label": ...}`) file whose paths are
 * relative to the file. Classes are sorted by name, as Keras does.
 */
export async function scanDataset(source: string): Promise<ScannedDataset> {
  const k = await kind(source);
  if (k === 'missing') throw new DatasetError(`${source}: no such file or folder`);
  if (k === 'unreadable') throw new DatasetError(`${source}: cannot be read (permission denied?)`);
  return k === 'dir' ? scanFolder(source) : scanListFile(source);
}

async function scanFolder(root: string): Promise<ScannedDataset> {
  const result: ScannedDataset = { source: root, classes: [], files: [], skipped: [] };
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new DatasetError(`${root}: cannot list the folder (${(err as Error).message})`);
  }
  const classDirs: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = join(root, e.name);
    if (e.name.startsWith('.')) continue;
    if ((await kind(full)) === 'dir') classDirs.push(e.name);
    else
      result.skipped.push({
        path: full,
        reason: 'a file at the top level: images go in one folder per class',
      });
  }
  if (classDirs.length === 0) {
    throw new DatasetError(
      `${root} has no class folders: put the images of each class in a sub-folder named after it (${root}/cat/…, ${root}/dog/…)`,
    );
  }
  for (const label of classDirs) {
    const seen = new Set<string>();
    const before = result.files.length;
    await walk(join(root, label), label, result, seen);
    if (result.files.length === before) {
      throw new DatasetError(
        `class folder ${join(root, label)} has no images (graft reads ${[...IMAGE_EXTENSIONS].join(' ')})`,
      );
    }
    result.classes.push(label);
  }
  return result;
}

async function walk(
  dir: string,
  label: string,
  out: ScannedDataset,
  seen: Set<string>,
  classRoot?: string,
): Promise<void> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    out.skipped.push({
      path: dir,
      reason: `cannot be resolved (${(err as NodeJS.ErrnoException).code ?? 'error'}; a broken or looping link?)`,
    });
    return;
  }
  if (seen.has(real)) {
    out.skipped.push({ path: dir, reason: 'a link back to a folder already read (link loop)' });
    return;
  }
  if (classRoot !== undefined && !real.startsWith(`${classRoot}${sep}`)) {
    // e.g. sandal/up -> ..: its images belong to other classes, and would be labelled this one
    out.skipped.push({
      path: dir,
      reason: `a link to a folder outside the class folder (${real}): its images would be labelled '${label}'`,
    });
    return;
  }
  seen.add(real);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    out.skipped.push({
      path: dir,
      reason: `cannot list the folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    });
    return;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = join(dir, e.name);
    if (e.name.startsWith('.')) {
      out.skipped.push({ path: full, reason: 'hidden' });
      continue;
    }
    const k = await kind(full);
    if (k === 'dir') await walk(full, label, out, seen, classRoot ?? real);
    else if (k === 'missing' && e.name.includes('\uFFFD'))
      // Node decodes names as UTF-8: one that is not comes back with U+FFFD and cannot be opened
      out.skipped.push({
        path: full,
        reason: 'its name is not valid UTF-8, so it cannot be read by name (rename it)',
      });
    else if (k === 'missing') out.skipped.push({ path: full, reason: 'a broken link' });
    else if (k === 'unreadable')
      out.skipped.push({ path: full, reason: 'cannot be read (permission denied or a link loop)' });
    else if (!IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
      out.skipped.push({ path: full, reason: 'not an image file name' });
    else out.files.push({ path: full, label });
  }
}

async function scanListFile(file: string): Promise<ScannedDataset> {
  const text = await readFile(file, 'utf8');
  const base = dirname(resolve(file));
  const jsonl = /\.jsonl$/i.test(file) || text.trimStart().startsWith('{');
  const files: DatasetFile[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let path: unknown;
    let label: unknown;
    if (jsonl) {
      try {
        ({ path, label } = JSON.parse(line) as { path?: unknown; label?: unknown });
      } catch {
        throw new DatasetError(`${file}:${i + 1}: not a JSON object`);
      }
    } else {
      const cells = parseCsvLine(line);
      if (i === 0 && cells[0]?.toLowerCase() === 'path') return; // header
      [path, label] = cells;
    }
    if (typeof path !== 'string' || typeof label !== 'string' || path === '' || label === '') {
      throw new DatasetError(`${file}:${i + 1}: expected a path and a label`);
    }
    files.push({ path: isAbsolute(path) ? path : join(base, path), label });
  });
  const classes = [...new Set(files.map((f) => f.label))].sort();
  if (files.length === 0) throw new DatasetError(`${file} lists no images`);
  return { source: file, classes, files, skipped: [] };
}

/** One CSV line: commas, double-quoted cells with "" escapes. */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/**
 * Image files named by `inputs`, folders expanded (recursively, in name order, hidden files and
 * link loops left out). A named file is kept whatever its ending; a missing one is kept, so that
 * decoding reports it by name. A `.csv` or `.jsonl` input is a list of paths (the first column,
 * or the `path` field: a `path,label` list works), relative to the list's folder.
 */
export async function listImageFiles(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seenFolders = new Set<string>();
  async function visit(path: string, explicit: boolean) {
    let info: import('node:fs').Stats;
    try {
      info = await stat(path);
    } catch {
      out.push(path);
      return;
    }
    if (info.isDirectory()) {
      const real = await realpath(path);
      if (seenFolders.has(real)) return;
      seenFolders.add(real);
      for (const name of (await readdir(path)).sort())
        if (!name.startsWith('.')) await visit(join(path, name), false);
    } else if (explicit || IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) out.push(path);
  }
  for (const input of inputs) {
    if (LIST_FILE.test(input)) out.push(...(await readPathList(input)));
    else await visit(input, true);
  }
  return out;
}

/** A list of image paths: `.csv` (the first column, as in a `path,label` list) or `.jsonl` (`path`). */
const LIST_FILE = /\.(csv|jsonl)$/i;

async function readPathList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new DatasetError(`${file}: no such list of images`);
  }
  const base = dirname(resolve(file));
  const paths: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let path: unknown;
    if (/\.jsonl$/i.test(file)) {
      try {
        ({ path } = JSON.parse(line) as { path?: unknown });
      } catch {
        throw new DatasetError(`${file}:${i + 1}: not a JSON object`);
      }
    } else {
      path = parseCsvLine(line)[0];
      if (i === 0 && path === 'path') return; // header
    }
    if (typeof path !== 'string' || path === '') throw new DatasetError(`${file}:${i + 1}: expected a path`);
    paths.push(isAbsolute(path) ? path : join(base, path));
  });
  return paths;
}
