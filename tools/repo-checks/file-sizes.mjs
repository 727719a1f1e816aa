// No god files: every source file stays small enough to read in one sitting (issue 17), and the
// thin packages (cli, web) stay a minority of the code. Checked as text, like the import rules.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Lines a source file may have. */
export const MAX_LINES = 400;

/** Generated tables, which are long by nature (paths from the repository root). */
export const GENERATED_TABLES = ['packages/zoo/src/imagenet-labels.ts'];

/** The share of non-test source lines cli and web together may hold. */
export const MAX_THIN_SHARE = 0.3;

const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
/** Folders of a package whose files count as its source (tests and fixtures do not). */
const SOURCE_FOLDERS = ['src', 'scripts', 'bench'];

function listFiles(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out = out.concat(listFiles(full));
    else if (SOURCE_FILE.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function lineCount(file) {
  const text = readFileSync(file, 'utf8');
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/**
 * Source files over {@link MAX_LINES} lines, and the thin packages' share when it is too large.
 * @param {string} root repository root
 * @returns {{ violations: { file: string, line: number, message: string }[], lines: Record<string, number> }}
 */
export function checkFileSizes(root) {
  const violations = [];
  const lines = {};
  const packagesDir = join(root, 'packages');
  for (const pkg of readdirSync(packagesDir)) {
    const pkgDir = join(packagesDir, pkg);
    if (!statSync(pkgDir).isDirectory()) continue;
    lines[pkg] = 0;
    for (const folder of SOURCE_FOLDERS) {
      for (const file of listFiles(join(pkgDir, folder))) {
        const shown = relative(root, file).split('\\').join('/');
        const n = lineCount(file);
        if (folder === 'src') lines[pkg] += n;
        if (n > MAX_LINES && !GENERATED_TABLES.includes(shown)) {
          violations.push({
            file: shown,
            line: n,
            message: `${n} lines (at most ${MAX_LINES}): split it into files that each do one thing`,
          });
        }
      }
    }
  }
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  const thin = (lines.cli ?? 0) + (lines.web ?? 0);
  if (total > 0 && thin / total > MAX_THIN_SHARE) {
    violations.push({
      file: 'packages/cli + packages/web',
      line: 0,
      message: `${thin} of ${total} source lines (${((100 * thin) / total).toFixed(1)}%; at most ${100 * MAX_THIN_SHARE}%): cli and web stay thin, the work belongs in core or zoo`,
    });
  }
  return { violations, lines };
}
