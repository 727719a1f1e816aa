import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../src/node/lock.js';

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
});
