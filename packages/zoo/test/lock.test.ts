import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError } from '../src/node/lock.js';

describe('acquireLock', () => {
  it('takes over an empty or garbled lock that is more than a few seconds old, instead of waiting forever', async () => {
    for (const content of ['', 'not json {']) {
      const path = join(mkdtempSync(join(tmpdir(), 'graft-lock-')), 'w.h5.lock');
      writeFileSync(path, content);
      const old = new Date(Date.now() - 10_000);
      utimesSync(path, old, old);
      const waits: string[] = [];
      const lock = await acquireLock(path, { pollMs: 10, onWait: (h) => waits.push(h) });
      expect(waits).toEqual([]);
      await lock.release();
    }
  });

  it('waits for a fresh lock of a live holder, and for a fresh unreadable one (a holder still writing it)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'graft-lock-')), 'w.h5.lock');
    writeFileSync(path, '');
    const controller = new AbortController();
    const waits: string[] = [];
    setTimeout(() => controller.abort(), 150);
    await expect(
      acquireLock(path, { pollMs: 10, signal: controller.signal, onWait: (h) => waits.push(h) }),
    ).rejects.toThrow();
    expect(waits).toHaveLength(1);
  });

  it('with wait: false, throws LockHeldError naming the live holder instead of waiting', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'graft-lock-')), 'run.lock');
    const held = await acquireLock(path);
    await expect(acquireLock(path, { wait: false })).rejects.toThrow(LockHeldError);
    await expect(acquireLock(path, { wait: false })).rejects.toThrow(
      new RegExp(`${path} is held by another process \\(.*"pid":${process.pid}`),
    );
    await held.release();
    const again = await acquireLock(path, { wait: false });
    await again.release();
  });

  it('removes a lock whose record cannot be written (a full disk), naming it', async () => {
    const disk = mkdtempSync(join(tmpdir(), 'graft-lockfull-'));
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', disk]).status !== 0) {
      console.warn('skipped: cannot mount a small tmpfs here to fill a disk');
      return;
    }
    try {
      spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=4k', 'count=64']); // fills it
      const path = join(disk, 'w.h5.lock');
      await expect(acquireLock(path)).rejects.toThrow(
        `cannot write the lock file ${path} (ENOSPC): is the disk full or read-only?`,
      );
      expect(existsSync(path)).toBe(false);
    } finally {
      spawnSync('umount', [disk]);
    }
  });
});
