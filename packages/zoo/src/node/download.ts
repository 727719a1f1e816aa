import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { env } from '../env.js';
import type { LoadProgress } from '../load-backbone.js';
import { acquireLock } from './lock.js';
import { whyUnwritable } from './unwritable.js';

/** What a downloaded file must be. */
export interface ExpectedFile {
  fileName: string;
  bytes: number;
  md5: string;
}

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Attempts per URL for network errors and HTTP 5xx (4xx is never retried). Default 4. */
  attempts?: number;
  /** First back-off delay; doubles each retry. Default 500 ms. */
  retryDelayMs?: number;
  /** Abort a transfer that receives nothing for this long. Default 30 s. */
  stallTimeoutMs?: number;
  /** Lock options for concurrent pulls of the same file. */
  lockStaleMs?: number;
  /** Called when another process is already downloading the file. */
  onWait?: (holder: string) => void;
}

/** A download failed for good; the message says what failed and what to do. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

/** md5 of a file on disk, streamed. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Checks a file's size and md5; the reason it fails, or null. */
export async function checkFile(path: string, expected: ExpectedFile): Promise<string | null> {
  const size = await sizeOf(path);
  if (size !== expected.bytes) return `${size} bytes, expected ${expected.bytes}`;
  const md5 = await md5File(path);
  if (md5 !== expected.md5) return `md5 ${md5}, expected ${expected.md5}`;
  return null;
}

/**
 * Downloads `urls` (tried in order) to `dest` the way npm, Keras `get_file` and huggingface_hub
 * do: into `dest.part`, resuming an interrupted transfer with an HTTP Range request (and starting
 * over when the server ignores Range), retrying network errors and 5xx with back-off, checking size
 * and md5, then renaming into place — never a half-written file under the final name. A lock
 * (`dest.lock`) makes a second process wait and reuse the first one's file.
 */
export async function downloadFile(
  urls: readonly string[],
  dest: string,
  expected: ExpectedFile,
  options: DownloadOptions = {},
): Promise<void> {
  await mkdir(dirname(dest), { recursive: true }).catch((err) => {
    throw new Error(
      `cannot download into the cache folder ${dirname(dest)} (${whyUnwritable(err)}): set GRAFT_HOME to a folder you can write`,
    );
  });
  const lock = await acquireLock(`${dest}.lock`, {
    signal: options.signal,
    staleMs: options.lockStaleMs,
    onWait: options.onWait,
  });
  try {
    if ((await checkFile(dest, expected)) === null) return; // another process finished it meanwhile
    const failures: string[] = [];
    for (const url of urls) {
      try {
        await downloadFromUrl(url, dest, expected, options);
        return;
      } catch (err) {
        if (options.signal?.aborted) throw err;
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
    throw new DownloadError(
      `could not download ${expected.fileName}: ${failures.join('; ')}. Check the network or set a mirror ` +
        '(GRAFT_MIRROR / --mirror), or copy the file by hand and run `graft zoo import`.',
      false,
    );
  } finally {
    await lock.release();
  }
}

async function downloadFromUrl(
  url: string,
  dest: string,
  expected: ExpectedFile,
  options: DownloadOptions,
): Promise<void> {
  const part = `${dest}.part`;
  const attempts = options.attempts ?? 4;
  const baseDelay = options.retryDelayMs ?? 500;
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await transfer(url, part, expected, options);
      const have = await sizeOf(part);
      if (have < expected.bytes) {
        throw new DownloadError(`${url} ended after ${have} of ${expected.bytes} bytes`, true);
      }
      const problem = await checkFile(part, expected);
      if (problem !== null) {
        await rm(part, { force: true }); // a wrong file is never resumed from
        throw new DownloadError(`${url} served a file that failed verification (${problem})`, true);
      }
      await rename(part, dest);
      return;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      // a network error (`fetch failed`) does not say where it went: name the URL once
      const e =
        err instanceof DownloadError
          ? err
          : new Error(`GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
      const retryable = e instanceof DownloadError ? e.retryable : true; // network errors
      lastError = e;
      if (!retryable) throw e;
      if (attempt < attempts) await sleep(baseDelay * 2 ** (attempt - 1), options.signal);
    }
  }
  throw new DownloadError(`${lastError?.message ?? url} (gave up after ${attempts} attempts)`, true);
}

/** One HTTP request, appending to `part` from where it stands. */
async function transfer(
  url: string,
  part: string,
  expected: ExpectedFile,
  options: DownloadOptions,
): Promise<void> {
  let have = await sizeOf(part);
  if (have > expected.bytes) {
    await rm(part, { force: true });
    have = 0;
  }
  if (have === expected.bytes) return;
  const controller = new AbortController();
  const stallMs = options.stallTimeoutMs ?? stallTimeoutFromEnv();
  let stalled = false;
  let timer = setTimeout(onStall, stallMs);
  function onStall() {
    stalled = true;
    controller.abort();
  }
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const doFetch = env.fetch ?? fetch;
    const response = await doFetch(url, {
      signal: controller.signal,
      headers: have > 0 ? { Range: `bytes=${have}-` } : {},
    });
    let append = false;
    if (response.status === 206) {
      const start = /bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
      append = Number(start) === have;
      if (!append) {
        await response.body?.cancel();
        await rm(part, { force: true });
        throw new DownloadError(`${url} answered a Range request with the wrong range; starting over`, true);
      }
    } else if (response.status === 416) {
      await response.body?.cancel();
      await rm(part, { force: true });
      throw new DownloadError(`${url} refused to resume (HTTP 416); starting over`, true);
    } else if (response.status >= 400) {
      await response.body?.cancel();
      const retryable = response.status >= 500 || response.status === 429;
      throw new DownloadError(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trim(), retryable);
    }
    if (!response.body) throw new DownloadError(`GET ${url}: empty response`, true);
    // a login page, a proxy's error page or a mirror's index: never keep it as part of the file
    const type = response.headers.get('content-type') ?? '';
    if (/^text\/html/i.test(type)) {
      await response.body.cancel();
      throw new DownloadError(
        `${url} answered with a web page (${type}), not the weight file: check the URL or the mirror`,
        false,
      );
    }
    // a known size that disagrees with the file's: another file under the official name, not a fault
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const wanted = expected.bytes - (append ? have : 0);
    if (Number.isFinite(length) && length !== wanted && !response.headers.get('content-encoding')) {
      await response.body.cancel();
      if (!append) await rm(part, { force: true });
      throw new DownloadError(
        append
          ? `${url} offered ${length} bytes from byte ${have}, but ${expected.fileName} has ${expected.bytes} (${wanted} left): not the weight file`
          : `${url} is ${length} bytes, but ${expected.fileName} is ${expected.bytes} bytes: not the weight file (check the URL or the mirror)`,
        false,
      );
    }
    const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
    // a write that fails (a full disk) must end the download with a message, not crash the process
    let writeError: NodeJS.ErrnoException | null = null;
    const failed = new Promise<never>((_, reject) =>
      out.on('error', (err) => {
        writeError = err;
        reject(err);
      }),
    );
    failed.catch(() => {});
    const cannotWrite = (err: NodeJS.ErrnoException) =>
      new DownloadError(
        `cannot write ${part} (${err.code ?? err.message})${err.code === 'ENOSPC' ? `: the disk holding ${dirname(part)} is full; free some space or point GRAFT_HOME at another disk` : ''}`,
        false,
      );
    let loaded = append ? have : 0;
    const started = Date.now();
    const startBytes = loaded;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(onStall, stallMs);
        if (writeError) throw cannotWrite(writeError);
        if (loaded + chunk.byteLength > expected.bytes) {
          // more than the file's known size: whatever this is, it is not the file
          await rm(part, { force: true }).catch(() => {});
          throw new DownloadError(
            `${url} sent more than the ${expected.bytes} bytes of ${expected.fileName}: not the weight file (the download was stopped and discarded)`,
            false,
          );
        }
        if (!out.write(chunk)) {
          try {
            await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
          } catch (err) {
            throw cannotWrite(err as NodeJS.ErrnoException);
          }
        }
        loaded += chunk.byteLength;
        const seconds = (Date.now() - started) / 1000;
        options.onProgress?.({
          phase: 'download',
          file: expected.fileName,
          loaded,
          total: expected.bytes,
          rate: seconds > 0 ? (loaded - startBytes) / seconds : undefined,
        });
      }
      if (writeError) throw cannotWrite(writeError);
    } finally {
      if (writeError) {
        await response.body.cancel().catch(() => {});
        out.destroy();
      } else {
        await new Promise<void>((resolve, reject) =>
          out.end((err?: Error | null) =>
            err ? reject(cannotWrite(err as NodeJS.ErrnoException)) : resolve(),
          ),
        );
      }
    }
  } catch (err) {
    if (stalled) throw new DownloadError(`${url} stalled: no data for ${stallMs} ms`, true);
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** `GRAFT_TIMEOUT` (seconds without data before a download counts as stalled), default 30. */
export function stallTimeoutFromEnv(): number {
  const seconds = Number(process.env.GRAFT_TIMEOUT);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
