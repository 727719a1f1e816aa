import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileActivationStore } from '../src/node/activation-file.js';

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe('fileActivationStore (float16 frozen activations on disk)', () => {
  it('gives back the rows asked for, to float16 precision, and removes its file', async () => {
    const dir = tempDir('graft-acts-');
    const rowLength = 5;
    const store = await fileActivationStore(dir)(4, rowLength);
    const values = Float32Array.from({ length: 4 * rowLength }, (_, i) => i * 1.37 - 3);
    await store.write(0, values.subarray(0, 2 * rowLength));
    await store.write(2, values.subarray(2 * rowLength));
    const folder = readdirSync(dir);
    expect(folder).toHaveLength(1);
    const file = join(dir, folder[0]!, 'activations.f16');
    expect(existsSync(file)).toBe(true);
    const rows = await store.read([3, 0, 3]);
    const expected = [3, 0, 3].flatMap((r) =>
      Array.from(values.subarray(r * rowLength, (r + 1) * rowLength)),
    );
    for (const [i, v] of expected.entries())
      expect(Math.abs(rows[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
    await expect(store.read([4])).rejects.toThrow('activation row 4 is outside 0…3');
    await store.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says which row was never written', async () => {
    const store = await fileActivationStore(tempDir('graft-acts-'))(3, 2);
    await store.write(0, Float32Array.from([1, 2]));
    await expect(store.read([2])).rejects.toThrow(/row 2 was never written/);
    await store.dispose();
  });
});
