import { open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';

/** A held lock; `release` removes it. */
export interface FileLock {
  path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** A lock whose holder has not touched it for this long is taken over. Default 60 s. */
  staleMs?: number;
  /** How often to look again while another process holds it. Default 200 ms. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once when we start waiting, with what the holder wrote. */
  onWait?: (holder: string) => void;
  /** Wait while another process holds it (default), or throw {@link LockHeldError} at once. */
  wait?: boolean;
}

/** The lock is held by a live process, and the caller asked not to wait. */
export class LockHeldError extends Error {
  constructor(
    readonly path: string,
    /** What the holder wrote: `{ pid, host, since }` as JSON, or whatever the file holds. */
    readonly holder: string,
  ) {
    super(`${path} is held by another process (${holder})`);
  }
}

/** Whether a process with this id runs on this machine (one we may not signal counts as running). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A holder writes its record right after creating the lock; an unreadable lock older than this is left over. */
const UNREADABLE_GRACE_MS = 5_000;

async function isStale(path: string, staleMs: number): Promise<boolean> {
  let age: number;
  let text: string;
  try {
    [age, text] = await Promise.all([stat(path).then((i) => Date.now() - i.mtimeMs), readFile(path, 'utf8')]);
  } catch {
    return false; // gone: look again
  }
  let holder: { pid?: number; host?: string };
  try {
    holder = JSON.parse(text) as typeof holder;
  } catch {
    // empty or garbled (a holder that hit a full disk, or another program's file): no owner to ask,
    // so its age decides; a live holder would have written its record within milliseconds
    return age > UNREADABLE_GRACE_MS;
  }
  if (holder?.host === hostname() && typeof holder.pid === 'number' && !isProcessAlive(holder.pid))
    return true;
  return age > staleMs;
}

/**
 * Takes an exclusive lock file (created with O_EXCL), waiting while another process holds it.
 * The holder refreshes its mtime so that a crashed holder's lock goes stale and is taken over.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<FileLock> {
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 200;
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(
          JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
        );
      } catch (err) {
        // never leave an empty lock behind (a full disk): it would make the next pull wait
        await handle.close().catch(() => {});
        await rm(path, { force: true });
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new Error(`cannot write the lock file ${path} (${code}): is the disk full or read-only?`);
      }
      await handle.close();
      const heartbeat = setInterval(
        () => {
          const now = new Date();
          utimes(path, now, now).catch(() => {});
        },
        Math.max(1000, staleMs / 4),
      );
      heartbeat.unref();
      return {
        path,
        async release() {
          clearInterval(heartbeat);
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(path, staleMs)) {
      await rm(path, { force: true });
      continue;
    }
    if (options.wait === false) {
      throw new LockHeldError(path, await readFile(path, 'utf8').catch(() => 'another process'));
    }
    if (!waited) {
      waited = true;
      options.onWait?.(await readFile(path, 'utf8').catch(() => 'another process'));
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
