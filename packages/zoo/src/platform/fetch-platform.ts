import { candidateUrls, env } from '../env.js';
import type { BackbonePlatform, LoadBackboneOptions, LoadProgress } from '../load-backbone.js';
import type { ModelSpec, WeightFileSpec } from '../spec.js';
import type { ConvertedReader } from '../weights/converted.js';
import { Md5 } from '../weights/md5.js';

/** Fetches a URL whole, reporting progress; a clear error for HTTP failures. */
export async function fetchBytes(
  url: string,
  options: { signal?: AbortSignal; onProgress?: (p: LoadProgress) => void; fileName?: string } = {},
): Promise<Uint8Array> {
  const doFetch = env.fetch ?? fetch;
  const response = await doFetch(url, { signal: options.signal });
  if (!response.ok)
    throw new Error(`GET ${url} failed: HTTP ${response.status} ${response.statusText}`.trim());
  const total = Number(response.headers.get('content-length') ?? '') || undefined;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const started = Date.now();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    const seconds = (Date.now() - started) / 1000;
    options.onProgress?.({
      phase: 'download',
      file: options.fileName ?? url,
      loaded,
      total,
      rate: seconds > 0 ? loaded / seconds : undefined,
    });
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Checks size and md5 of a downloaded weight file; throws naming the file and both values. */
export function verifyWeightFile(
  file: WeightFileSpec,
  bytes: Uint8Array,
  where: string,
  spec?: ModelSpec,
): void {
  const md5 = new Md5().update(bytes).hex();
  const rejected = spec?.rejectedFiles?.find((r) => r.md5 === md5);
  if (rejected) throw new Error(`${where} is ${rejected.reason}; it cannot be used as ${file.fileName}`);
  if (bytes.byteLength !== file.bytes || md5 !== file.md5) {
    throw new Error(
      `${where} failed verification: ${bytes.byteLength} bytes with md5 ${md5}, expected ${file.bytes} bytes with md5 ${file.md5}`,
    );
  }
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

/** Reads a converted model folder over HTTP(S). */
export function httpConvertedReader(baseUrl: string, options: LoadBackboneOptions = {}): ConvertedReader {
  return {
    location: baseUrl,
    readText: async (path) => new TextDecoder().decode(await fetchBytes(joinUrl(baseUrl, path), options)),
    readBytes: (path) => fetchBytes(joinUrl(baseUrl, path), { ...options, fileName: path }),
  };
}

/**
 * The portable platform: plain `fetch`, no persistent cache. Used where neither the Node nor the
 * browser entry applies (e.g. a worker bundle without the `browser` condition).
 */
export const fetchPlatform: BackbonePlatform = {
  async fetchPretrained(spec, file, options) {
    if (options.offline ?? env.offline) {
      throw new Error(
        `${spec.id}: ${file.fileName} is needed and offline mode is on; this runtime has no weight cache. Serve a converted copy (graft zoo export) and pass modelUrl.`,
      );
    }
    const errors: string[] = [];
    for (const url of candidateUrls(file.urls, file.fileName, options.mirror ?? env.mirror)) {
      try {
        const bytes = await fetchBytes(url, { ...options, fileName: file.fileName });
        verifyWeightFile(file, bytes, url, spec);
        return bytes;
      } catch (err) {
        if (options.signal?.aborted) throw err;
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    throw new Error(`could not get ${file.fileName}: ${errors.join('; ')}`);
  },
  readUserFile: (location, options) => fetchBytes(location, { ...options, fileName: location }),
  openConverted: async (location, options) => httpConvertedReader(location, options),
};
