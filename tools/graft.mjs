#!/usr/bin/env node
// `pnpm graft …` inside the repository: builds the CLI and what it imports only when their sources
// are newer than their builds (quietly: turbo's output is shown only when the build fails), then
// runs the built `graft` with the arguments in this process, so that a built CLI answers at once and users see
// only Graft's own output.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packages = ['zoo', 'core', 'cli'].map((p) => join(root, 'packages', p));

/** Newest modification time under `dir` (0 when it does not exist). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

const stale = packages.some((p) => {
  const built = join(p, 'dist');
  if (!existsSync(built)) return true;
  const inputs = Math.max(
    newest(join(p, 'src')),
    newest(join(p, 'assets')),
    statSync(join(p, 'package.json')).mtimeMs,
  );
  return inputs > newest(built);
});
if (stale) {
  const build = spawnSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@graft/cli...', '--output-logs=errors-only'],
    { cwd: root, encoding: 'utf8' },
  );
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout}${build.stderr}graft: building the CLI failed (see above)\n`);
    process.exit(build.status ?? 1);
  }
}
// run the CLI in this process, as if started as `node bin.js …` (signals and the TTY are its own)
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
process.argv = [process.argv[0], bin, ...process.argv.slice(2)];
await import(pathToFileURL(bin).href);
