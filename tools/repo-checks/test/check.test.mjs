import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkArchitecture } from '../check.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');

function fakeRepo(files) {
  const root = mkdtempSync(join(tmpdir(), 'graft-arch-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const clean = {
  'packages/zoo/src/index.ts': 'export const a = 1;\n// document.body is only mentioned here\n',
  'packages/zoo/src/node/cache.ts': "import { readFile } from 'node:fs/promises';\nexport { readFile };\n",
  'packages/zoo/src/browser/cache.ts': 'export const c = () => window.caches;\n',
  'packages/core/src/index.ts': "import { a } from '@graft/zoo';\nexport const b = a;\n",
  'packages/cli/src/main.ts':
    "import fs from 'node:fs';\nimport { b } from '@graft/core';\nexport { fs, b };\n",
};

describe('architecture check', () => {
  it('passes on the real repository', () => {
    expect(checkArchitecture(repoRoot)).toEqual([]);
  });

  it('passes on a clean layout with platform code in src/node and src/browser', () => {
    expect(checkArchitecture(fakeRepo(clean))).toEqual([]);
  });

  it('fails when a shared entry imports a Node built-in', () => {
    const root = fakeRepo({ ...clean, 'packages/core/src/io.ts': "import { readFileSync } from 'fs';\n" });
    const v = checkArchitecture(root);
    expect(v).toHaveLength(1);
    expect(v[0].file).toBe(join('packages', 'core', 'src', 'io.ts'));
    expect(v[0].message).toMatch(/imports the Node built-in 'fs'/);
  });

  it('fails when a shared entry uses Node or DOM globals', () => {
    const root = fakeRepo({
      ...clean,
      'packages/zoo/src/a.ts': 'export const x = Buffer.from([1]);\n',
      'packages/zoo/src/b.ts': "export const y = document.createElement('canvas');\n",
      'packages/zoo/src/c.ts': 'export const z = process.env.HOME;\n',
    });
    const messages = checkArchitecture(root).map((v) => v.message);
    expect(messages).toHaveLength(3);
    expect(messages.join('\n')).toMatch(/Buffer/);
    expect(messages.join('\n')).toMatch(/touches document/);
    expect(messages.join('\n')).toMatch(/process/);
  });

  it('fails when core or zoo import cli or web, or zoo imports core', () => {
    const root = fakeRepo({
      ...clean,
      'packages/core/src/bad.ts':
        "import { x } from '@graft/cli';\nexport const y = await import('@graft/web');\n",
      'packages/zoo/src/bad.ts': "export { b } from '@graft/core';\n",
    });
    const v = checkArchitecture(root);
    expect(v.map((x) => x.line)).toEqual([1, 2, 1]);
    expect(v.map((x) => x.message).join('\n')).toMatch(/@graft\/core must not import @graft\/cli/);
    expect(v.map((x) => x.message).join('\n')).toMatch(/@graft\/zoo must not import @graft\/core/);
  });

  it('lets tests, and only tests, import the shared test helpers', () => {
    const root = fakeRepo({
      ...clean,
      'packages/zoo/test/a.test.ts': "import { maxRelativeError } from '@graft/test-support';\n",
      'packages/zoo/src/bad.ts': "import { CHROMIUM } from '@graft/test-support';\n",
    });
    const v = checkArchitecture(root);
    expect(v).toHaveLength(1);
    expect(v[0].file).toBe('packages/zoo/src/bad.ts');
    expect(v[0].message).toMatch(/@graft\/zoo must not import @graft\/test-support/);
  });

  it('fails on a relative import across packages, tests included', () => {
    const root = fakeRepo({
      ...clean,
      'packages/cli/test/x.test.ts': "import { a } from '../../zoo/src/index.js';\n",
    });
    const v = checkArchitecture(root);
    expect(v).toHaveLength(1);
    expect(v[0].message).toMatch(/leaves @graft\/cli; import the other package by name/);
  });

  it('exits non-zero from the command line on a bad import', () => {
    const root = fakeRepo({ ...clean, 'packages/zoo/src/bad.ts': "import 'node:path';\n" });
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(here, '..', 'cli.mjs'), root], { stdio: 'pipe' });
    } catch (err) {
      status = err.status;
      stderr = String(err.stderr);
    }
    expect(status).toBe(1);
    expect(stderr).toMatch(/packages\/zoo\/src\/bad\.ts:1: .*'node:path'/);
  });
});
