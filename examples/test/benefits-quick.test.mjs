import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'fashion', 'benefits.mjs');

describe('the benefits experiment, --quick', () => {
  it('finds that feature extraction beats training from scratch and raw pixels with 5 images per class', () => {
    const r = spawnSync(process.execPath, [script, '--quick'], { encoding: 'utf8', timeout: 170_000 });
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
    const line =
      /quick check: feature extraction ([\d.]+)% vs scratch ([\d.]+)% vs pixels ([\d.]+)% at k=5/.exec(
        r.stdout,
      );
    expect(line).not.toBeNull();
    expect(Number(line[1])).toBeGreaterThan(Number(line[2]));
    expect(Number(line[1])).toBeGreaterThan(Number(line[3]));
  }, 180_000);
});
