import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const graft = join(root, 'packages', 'cli', 'dist', 'bin.js');

describe("the README's main command", () => {
  it('trains offline on the bundled sample with the bundled backbone and reports its accuracy', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'graft-quick-start-'));
    const out = join(tmp, 'run');
    const r = spawnSync(
      process.execPath,
      [
        graft,
        'train',
        'examples/fashion-b/train',
        '--model',
        'resnet50-mini-fashion',
        '--val',
        'examples/fashion-b/test',
        '--out',
        out,
      ],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, GRAFT_OFFLINE: '1', GRAFT_HOME: join(tmp, 'home') },
        timeout: 170_000,
      },
    );
    expect(r.stderr).toContain(
      'graft: 500 images in 5 classes (ankle-boot 100, bag 100, sandal 100, shirt 100, sneaker 100)',
    );
    expect(r.status).toBe(0);
    const accuracy = Number(/^validation accuracy ([\d.]+)% on 300 images$/m.exec(r.stdout)?.[1]);
    // chance is 20%, raw-pixel logistic regression ~89% (docs/benefits.md); the solved head reports its strength
    expect(accuracy).toBeGreaterThanOrEqual(92);
    expect(r.stderr).toMatch(/graft: head solved to optimum \(L-BFGS, \d+ iterations\): L2 strength/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Confusion matrix');
  }, 180_000);
});
