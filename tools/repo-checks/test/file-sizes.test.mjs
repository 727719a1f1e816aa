import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFileSizes, MAX_LINES } from '../file-sizes.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function fakeRepo(files) {
  const root = mkdtempSync(join(tmpdir(), 'graft-sizes-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const lines = (n) => 'x;\n'.repeat(n);

describe('file size check', () => {
  it('passes on the real repository', () => {
    expect(checkFileSizes(repoRoot).violations).toEqual([]);
  });

  it('names a source file over the limit, and not a test or a generated table', () => {
    const root = fakeRepo({
      'packages/core/src/big.ts': lines(MAX_LINES + 1),
      'packages/core/src/ok.ts': lines(MAX_LINES),
      'packages/core/test/long.test.ts': lines(2 * MAX_LINES),
      'packages/zoo/src/imagenet-labels.ts': lines(1000),
      'packages/cli/bench/suite.mjs': lines(MAX_LINES + 5),
      'packages/zoo/src/a.ts': lines(5000),
    });
    const found = checkFileSizes(root)
      .violations.map((v) => v.file)
      .sort();
    expect(found).toEqual([
      'packages/cli/bench/suite.mjs',
      'packages/core/src/big.ts',
      'packages/zoo/src/a.ts',
    ]);
  });

  it('fails when cli and web hold too much of the code', () => {
    const root = fakeRepo({
      'packages/core/src/a.ts': lines(100),
      'packages/cli/src/a.ts': lines(100),
      'packages/web/src/a.ts': lines(100),
    });
    const { violations } = checkFileSizes(root);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toMatch(/200 of 300 source lines \(66\.7%/);
  });
});
