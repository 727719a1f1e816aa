#!/usr/bin/env node
// `pnpm test`: lint, typecheck and test every package through turbo, then print one line that sums them all
// (`N passed, N failed`), so that CI and people see at a glance whether anything was tested.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultFiles = () =>
  [
    ...['packages', 'tools'].flatMap((group) =>
      readdirSync(join(root, group), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `${group}/${d.name}`),
    ),
    'examples',
  ].map((name) => ({ name, file: join(root, name, '.vitest-results.json') }));

for (const { file } of resultFiles()) rmSync(file, { force: true });
const turbo = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'lint', 'typecheck', 'test', '--continue', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const { name, file } of resultFiles()) {
  if (!existsSync(file)) {
    missing.push(name);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests || r.numFailedTestSuites;
  skipped += r.numPendingTests + r.numTodoTests;
}
if (missing.length > 0) console.log(`no test results from: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
const ok = turbo.status === 0 && failed === 0 && passed > 0 && missing.length === 0;
process.exit(ok ? 0 : 1);
