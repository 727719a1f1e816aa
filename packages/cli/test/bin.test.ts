import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(pkgDir, 'dist', 'bin.js');
const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;

function graft(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

describe('graft binary', () => {
  it('prints its version', () => {
    const r = graft('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('prints help with the command name and exits 0', () => {
    const r = graft('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: graft /m);
    expect(r.stdout).toMatch(/Transfer learning on images/);
  });

  it('rejects an unknown option with exit code 2 and says so on stderr', () => {
    const r = graft('--no-such-flag');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
    expect(r.stdout).toBe('');
  });
});
