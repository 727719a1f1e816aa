import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverReplacedFolder } from '../src/node/atomic.js';

function folder(path: string, content: string) {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'model.json'), content);
}

describe('recoverReplacedFolder', () => {
  it('takes the complete new copy when a crash came between the two renames', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'graft-recover-'));
    folder(join(parent, 'latest.old-12-abc'), 'epoch 1');
    folder(join(parent, 'latest.tmp-12-abc'), 'epoch 2');
    folder(join(parent, 'latest.tmp-13-def'), 'half'); // an older, unfinished save
    expect(await recoverReplacedFolder(join(parent, 'latest'))).toMatch(/restored from latest\.tmp-12-abc/);
    expect(readdirSync(parent)).toEqual(['latest']);
    expect(readFileSync(join(parent, 'latest', 'model.json'), 'utf8')).toBe('epoch 2');
  });

  it('puts the old copy back when only it is left, and clears leftovers beside a good folder', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'graft-recover-'));
    folder(join(parent, 'best.old-1-x'), 'old');
    expect(await recoverReplacedFolder(join(parent, 'best'))).toMatch(/restored from best\.old-1-x/);
    expect(readFileSync(join(parent, 'best', 'model.json'), 'utf8')).toBe('old');
    folder(join(parent, 'best.tmp-2-y'), 'half');
    expect(await recoverReplacedFolder(join(parent, 'best'))).toMatch(
      /removed what an interrupted save left/,
    );
    expect(readdirSync(parent)).toEqual(['best']);
    expect(readFileSync(join(parent, 'best', 'model.json'), 'utf8')).toBe('old');
    expect(await recoverReplacedFolder(join(parent, 'best'))).toBeNull();
    expect(await recoverReplacedFolder(join(parent, 'missing', 'x'))).toBeNull();
  });
});
