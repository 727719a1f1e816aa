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
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([stat(path), readFile(path, 'utf8')]);
    const holder = JSON.parse(text) as { pid?: number; host?: string };
    if (holder.host === hostname() && typeof holder.pid === 'number' && !alive(holder.pid)) return true;
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    return false; // gone or half-written: look again
  }
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
      await handle.writeFile(
        JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
      );
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
    if (!waited) {
      waited = true;
      options.onWait?.(await readFile(path, 'utf8').catch(() => 'another process'));
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
