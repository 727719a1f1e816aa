import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type EmbedTask,
  encodeNpy,
  featuresMismatch,
  mergeShards,
  planShards,
  readNpy,
  shardsOfSlice,
  writeManifest,
  writeShardOutput,
} from '../src/node/advanced.js';

const task: EmbedTask = {
  kind: 'embed',
  model: 'm',
  weightsId: 'w',
  layer: 'l',
  inputSize: [4, 4],
  dtype: 'float32',
};

describe('.npy files', () => {
  it('round-trip float32 exactly and float16 to half precision, with a 64-byte aligned header numpy reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graft-npy-'));
    const values = Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1);
    for (const dtype of ['float32', 'float16'] as const) {
      const bytes = encodeNpy(values, 3, 4, dtype);
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLength) % 64).toBe(0);
      writeFileSync(join(dir, `${dtype}.npy`), bytes);
      const back = await readNpy(join(dir, `${dtype}.npy`));
      expect([back.rows, back.dim, back.dtype]).toEqual([3, 4, dtype]);
      for (let i = 0; i < values.length; i++)
        expect(Math.abs(back.values[i]! - values[i]!)).toBeLessThanOrEqual(
          dtype === 'float32' ? 0 : 2 ** -10 * Math.abs(values[i]!),
        );
    }
    writeFileSync(join(dir, 'cut.npy'), encodeNpy(values, 3, 4, 'float32').subarray(0, 100));
    await expect(readNpy(join(dir, 'cut.npy'))).rejects.toThrow(
      /cut\.npy is not a features file graft wrote \(.*truncated\?\)/,
    );
  });
});

describe('shards', () => {
  it('deal slices every n-th shard, and a plan names its job by task, files and size', () => {
    const files = Array.from({ length: 10 }, (_, i) => `f${i}`);
    const m = planShards(task, files, 3);
    expect(m.shards.map((s) => [s.id, s.start, s.count])).toEqual([
      ['shard-000000', 0, 3],
      ['shard-000001', 3, 3],
      ['shard-000002', 6, 3],
      ['shard-000003', 9, 1],
    ]);
    expect(shardsOfSlice(m, 1, 2).map((s) => s.index)).toEqual([1, 3]);
    expect(planShards(task, files, 3).key).toBe(m.key);
    expect(planShards(task, files, 4).key).not.toBe(m.key);
    expect(planShards({ ...task, weightsId: 'x' }, files, 3).key).not.toBe(m.key);
  });

  it('merge refuses a shard that does not hold its files, or whose features do not match its index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graft-merge-'));
    const files = ['a', 'b', 'c'];
    const m = planShards(task, files, 2);
    await writeManifest(dir, m, files);
    const row = Float32Array.from([1, 2]);
    await writeShardOutput(dir, m.shards[0]!, {
      index: [
        { file: 'a', row: 0 },
        { file: 'b', row: 1 },
      ],
      features: [row, row],
    });
    await writeShardOutput(dir, m.shards[1]!, { index: [{ file: 'x', row: 0 }], features: [row] });
    await expect(mergeShards(dir)).rejects.toThrow(
      `${dir}: shard-000001 does not hold its 1 input files in order`,
    );
    await writeShardOutput(dir, m.shards[1]!, { index: [{ file: 'c', error: 'corrupt' }], features: [row] });
    await expect(mergeShards(dir)).rejects.toThrow('shard-000001.npy has 1 rows for 0 images');
    await writeShardOutput(dir, m.shards[1]!, { index: [{ file: 'c', error: 'corrupt' }], features: [] });
    const merged = await mergeShards(dir);
    expect([merged.images, merged.skipped]).toEqual([2, [{ file: 'c', reason: 'corrupt' }]]);
    expect(readFileSync(join(dir, 'index.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    rmSync(dir, { recursive: true });
  });

  it('say how merged features differ from what a classifier would compute', () => {
    const same = { model: 'm', weightsId: 'w', layer: 'l', inputSize: [4, 4] as const };
    expect(featuresMismatch(task, same)).toBeNull();
    expect(featuresMismatch(task, { ...same, weightsId: 'v', layer: 'k' })).toBe(
      'other weights; layer l, not k',
    );
  });
});
