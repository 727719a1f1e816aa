import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

function quickStartCommands() {
  const section = readme.split(/^## Quick start$/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').filter((line) => line.trim() !== '');
}

describe('README Quick start', () => {
  it('has exactly two commands, both usable without pnpm installed', () => {
    const commands = quickStartCommands();
    expect(commands).toHaveLength(2);
    for (const c of commands) expect(c).toMatch(/^npx -y pnpm@12\.4\.2 install --frozen-lockfile && /);
  });

  it('gives the test command that .ci/run runs, letter for letter', () => {
    const ci = readFileSync(join(root, '.ci/run'), 'utf8').split('\n');
    expect(ci).toContain(quickStartCommands()[1]);
  });

  it('pins the same pnpm as package.json', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.packageManager).toBe('pnpm@12.4.2');
  });
});
