import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskGraphCache } from '../src/node/onnx-engine.js';

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe('the ONNX graph cache (GRAFT_HOME/onnx)', () => {
  it('keeps a sha256 beside each graph and rebuilds one that is flipped, truncated or empty', async () => {
    const dir = tempDir('graft-onnx-');
    const warnings: string[] = [];
    const cache = diskGraphCache(dir, (m) => warnings.push(m));
    const graph = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
    await cache.set('k', graph);
    expect(await cache.get('k')).toEqual(graph);
    expect(readFileSync(join(dir, 'k.onnx.sha256'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    for (const damage of [
      (b: Buffer) => {
        b[500] = b[500]! ^ 4;
        return b;
      },
      (b: Buffer) => b.subarray(0, 600),
      () => Buffer.alloc(0),
    ]) {
      await cache.set('k', graph);
      writeFileSync(join(dir, 'k.onnx'), damage(readFileSync(join(dir, 'k.onnx'))));
      expect(await cache.get('k')).toBeUndefined();
      expect(existsSync(join(dir, 'k.onnx'))).toBe(false);
    }
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain(`${join(dir, 'k.onnx')} does not match its sha256`);
  });

  it('runs on without caching, with one note, where the cache cannot be written', async () => {
    const parent = tempDir('graft-onnx-');
    writeFileSync(join(parent, 'file'), 'not a folder');
    const warnings: string[] = [];
    const cache = diskGraphCache(join(parent, 'file', 'onnx'), (m) => warnings.push(m));
    await cache.set('a', new Uint8Array([1, 2, 3]));
    await cache.set('b', new Uint8Array([4]));
    expect(await cache.get('a')).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot keep the ONNX graph in .*: it is rebuilt each run/);
  });
});
