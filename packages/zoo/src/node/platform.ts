import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BackbonePlatform } from '../load-backbone.js';
import { fetchBytes, httpConvertedReader } from '../platform/fetch-platform.js';
import { diskConvertedCache, diskConvertedReader } from './converted-store.js';
import { ensureWeightFile, recheckWeightFile } from './weight-cache.js';

function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Node: weight files in the Graft cache on disk, converted copies beside them. */
export const nodePlatform: BackbonePlatform = {
  async fetchPretrained(spec, file, options) {
    const path = await ensureWeightFile(spec, file, options);
    return new Uint8Array(await readFile(path));
  },
  recheckPretrained: recheckWeightFile,
  async readUserFile(location, options) {
    if (isUrl(location)) return fetchBytes(location, { ...options, fileName: location });
    try {
      return new Uint8Array(
        await readFile(location.startsWith('file:') ? fileURLToPath(location) : location),
      );
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : String(err);
      throw new Error(`cannot read weight file ${location}: ${why}`);
    }
  },
  async openConverted(location, options) {
    if (isUrl(location)) return httpConvertedReader(location, options);
    return diskConvertedReader(location.startsWith('file:') ? fileURLToPath(location) : location);
  },
  convertedCache: diskConvertedCache,
};
