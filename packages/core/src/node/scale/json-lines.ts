import { readFile } from 'node:fs/promises';

/** Values as JSON Lines (one JSON value per line), as the shard files keep their lists. */
export function toJsonLines(values: readonly unknown[]): string {
  return values.map((v) => `${JSON.stringify(v)}\n`).join('');
}

/** A JSON Lines file's values; a line that is not JSON is named with the file. */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`${path}: line ${i + 1} is not JSON (damaged?)`);
      }
    });
}
