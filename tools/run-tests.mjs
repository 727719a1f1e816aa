#!/usr/bin/env node
// `pnpm test`: lint, typecheck and test every package through turbo, then print one line that sums them all
// (`N passed, N failed`), so that CI and people see at a glance whether anything was tested.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
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

/**
 * Runs a command with its output passed through line by line, less turbo 2.5's warning that it
 * cannot parse pnpm 12's lockfile (harmless, printed on every run: from the WARNING line to the
 * next blank one).
 */
function runFiltered(command, args) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd: root, stdio: ['inherit', 'pipe', 'pipe'] });
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let dropping = false;
      createInterface({ input: from }).on('line', (line) => {
        if (/WARNING {2}An issue occurred while attempting to parse .*pnpm-lock\.yaml/.test(line))
          dropping = true;
        else if (dropping && line.trim() === '') dropping = false;
        else if (!dropping) to.write(`${line}\n`);
      });
    }
    child.on('close', (status) => resolveRun({ status }));
  });
}

for (const { file } of resultFiles()) rmSync(file, { force: true });
const turbo = await runFiltered('pnpm', [
  'exec',
  'turbo',
  'run',
  'lint',
  'typecheck',
  'test',
  '--continue',
  ...process.argv.slice(2),
]);

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
