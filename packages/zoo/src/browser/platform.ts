import type { BackbonePlatform } from '../load-backbone.js';
import { fetchBytes, fetchPlatform } from '../platform/fetch-platform.js';
import type { ConvertedFiles, ConvertedReader } from '../weights/converted.js';

/** Cache Storage bucket that holds model files. */
export const BROWSER_CACHE_NAME = 'graft-models-v1';
/** Synthetic origin under which converted copies made in the browser are stored. */
const LOCAL_PREFIX = 'https://graft.invalid/converted/';

function joinUrl(base: string, path: string): string {
  return new URL(path, base.endsWith('/') ? base : `${base}/`).href;
}

async function openCache(): Promise<Cache | null> {
  if (typeof caches === 'undefined') return null; // e.g. an insecure context
  try {
    return await caches.open(BROWSER_CACHE_NAME);
  } catch {
    return null;
  }
}

/** Reads a converted model over HTTP, cache-first; every byte is checked by the loader's SHA-256. */
function cachedHttpReader(baseUrl: string, signal?: AbortSignal): ConvertedReader {
  const base = new URL(baseUrl, globalThis.location?.href).href;
  async function read(path: string): Promise<Uint8Array> {
    const url = joinUrl(base, path);
    const cache = await openCache();
    const hit = await cache?.match(url);
    if (hit) return new Uint8Array(await hit.arrayBuffer());
    const bytes = await fetchBytes(url, { signal, fileName: path });
    await cache?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>)).catch(() => {});
    return bytes;
  }
  return {
    location: base,
    readText: async (path) => new TextDecoder().decode(await read(path)),
    readBytes: read,
  };
}

async function evictPrefix(prefix: string): Promise<void> {
  const cache = await openCache();
  if (!cache) return;
  for (const request of await cache.keys()) if (request.url.startsWith(prefix)) await cache.delete(request);
}

/**
 * Browsers and workers: converted models from the host app's URL (`modelUrl`), kept in Cache
 * Storage so later loads work offline; SHA-256-checked on every load, evicted when damaged.
 */
export const browserPlatform: BackbonePlatform = {
  fetchPretrained: fetchPlatform.fetchPretrained,
  readUserFile: fetchPlatform.readUserFile,
  openConverted: async (location, options) => cachedHttpReader(location, options.signal),
  evictConverted: async (location) => evictPrefix(new URL(location, globalThis.location?.href).href),
  convertedCache: {
    async open(key) {
      const cache = await openCache();
      if (!cache || !(await cache.match(`${LOCAL_PREFIX}${key}/graft-backbone.json`))) return null;
      return cachedHttpReader(`${LOCAL_PREFIX}${key}/`);
    },
    async save(key, files: ConvertedFiles) {
      const cache = await openCache();
      if (!cache) return;
      const base = `${LOCAL_PREFIX}${key}/`;
      for (const [path, data] of files.shards)
        await cache.put(base + path, new Response(data as Uint8Array<ArrayBuffer>));
      await cache.put(`${base}model.json`, new Response(JSON.stringify(files.modelJson)));
      await cache.put(`${base}graft-backbone.json`, new Response(JSON.stringify(files.manifest)));
    },
    remove: (key) => evictPrefix(`${LOCAL_PREFIX}${key}/`),
  },
};
