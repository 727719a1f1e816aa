import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { IMAGE_EXTENSIONS } from '../data/scan.js';

/** Image files named on the command line, folders expanded (recursively, hidden files left out). */
export async function expandImages(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  const seenFolders = new Set<string>();
  async function visit(path: string, explicit: boolean) {
    let info: import('node:fs').Stats;
    try {
      info = await stat(path);
    } catch {
      out.push(path); // decoding reports it missing, by name
      return;
    }
    if (info.isDirectory()) {
      const real = await realpath(path);
      if (seenFolders.has(real)) return; // a link loop, or a folder named twice
      seenFolders.add(real);
      for (const name of (await readdir(path)).sort())
        if (!name.startsWith('.')) await visit(join(path, name), false);
    } else if (explicit || IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) out.push(path);
  }
  for (const input of inputs) await visit(input, true);
  return out;
}
