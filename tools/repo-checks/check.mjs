// Graft's import rules (see DESIGN.md, "Packages and the direction of imports"), checked as text so
// that it needs no build and cannot be fooled by a stale dist/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Which @graft packages each package may import. Everything else under @graft/ is a violation. */
export const ALLOWED_GRAFT_IMPORTS = {
  zoo: [],
  core: ['zoo'],
  cli: ['core', 'zoo'],
  web: ['core', 'zoo'],
};

/** What any package's tests may import besides: the shared test helpers (tools/test-support). */
export const TEST_ONLY_GRAFT_IMPORTS = ['test-support'];

/** Packages whose shared entry must run unchanged in Node, browsers and workers. */
export const PORTABLE_PACKAGES = ['zoo', 'core'];

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const SPECIFIER_PATTERNS = [
  /\bimport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bexport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const NODE_GLOBALS = [
  [/\bBuffer\b/, 'uses the Node global Buffer'],
  [/\bprocess\s*\./, 'uses the Node global process'],
  [/\b__dirname\b|\b__filename\b/, 'uses __dirname/__filename'],
];
const DOM_GLOBALS = [
  [/\bdocument\s*\./, 'touches document'],
  [/\bwindow\s*\./, 'touches window'],
  [/\bcustomElements\b/, 'touches customElements'],
  [/\b(localStorage|sessionStorage)\b/, 'touches web storage'],
  [/\bHTML[A-Za-z]*Element\b/, 'uses a DOM element type'],
];

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

/** Blank out comments and keep line numbers, so that prose about `document` is not an offence. */
function stripComments(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, (m, p) => p + ' '.repeat(m.length - p.length));
}

function lineOf(text, index) {
  return text.slice(0, index).split('\n').length;
}

function importsOf(text) {
  const found = [];
  for (const pattern of SPECIFIER_PATTERNS) {
    for (const m of text.matchAll(pattern)) found.push({ specifier: m[1], line: lineOf(text, m.index) });
  }
  return found;
}

function isNodeBuiltin(specifier) {
  if (specifier.startsWith('node:')) return true;
  return NODE_BUILTINS.has(specifier.split('/')[0]);
}

/** True for files that belong to a package's Node-only or browser-only entry. */
function platformOf(relPath) {
  const parts = relPath.split(sep);
  if (parts[0] !== 'src') return 'test';
  if (parts.includes('node')) return 'node';
  if (parts.includes('browser')) return 'browser';
  return 'shared';
}

/**
 * Check every package under `<root>/packages`. Returns a list of violations, empty when clean.
 * @param {string} root repository root
 * @returns {{ file: string, line: number, message: string }[]}
 */
export function checkArchitecture(root) {
  const violations = [];
  const packagesDir = join(root, 'packages');
  let packageNames;
  try {
    packageNames = readdirSync(packagesDir).filter((n) => statSync(join(packagesDir, n)).isDirectory());
  } catch {
    return [{ file: packagesDir, line: 0, message: 'no packages/ folder to check' }];
  }
  for (const pkg of packageNames) {
    const pkgDir = join(packagesDir, pkg);
    const allowed = ALLOWED_GRAFT_IMPORTS[pkg] ?? [];
    for (const file of [...listFiles(join(pkgDir, 'src')), ...listFiles(join(pkgDir, 'test'))]) {
      const rel = relative(pkgDir, file);
      const shown = relative(root, file);
      const text = stripComments(readFileSync(file, 'utf8'));
      const platform = platformOf(rel);
      const portable = PORTABLE_PACKAGES.includes(pkg) && platform !== 'test';
      for (const { specifier, line } of importsOf(text)) {
        const graft = /^@graft\/([^/]+)/.exec(specifier);
        const testHelper = platform === 'test' && graft && TEST_ONLY_GRAFT_IMPORTS.includes(graft[1]);
        if (graft && graft[1] !== pkg && !allowed.includes(graft[1]) && !testHelper) {
          violations.push({
            file: shown,
            line,
            message: `@graft/${pkg} must not import ${specifier} (allowed: ${allowed.map((a) => `@graft/${a}`).join(', ') || 'no other @graft package'})`,
          });
        }
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (!(target + sep).startsWith(pkgDir + sep)) {
            violations.push({
              file: shown,
              line,
              message: `relative import '${specifier}' leaves @graft/${pkg}; import the other package by name`,
            });
          }
        }
        if (portable && platform === 'shared' && isNodeBuiltin(specifier)) {
          violations.push({
            file: shown,
            line,
            message: `@graft/${pkg}'s shared entry imports the Node built-in '${specifier}'; move it under src/node/`,
          });
        }
      }
      if (portable && platform === 'shared') {
        for (const [pattern, what] of [...NODE_GLOBALS, ...DOM_GLOBALS]) {
          const m = pattern.exec(text);
          if (m) {
            violations.push({
              file: shown,
              line: lineOf(text, m.index),
              message: `@graft/${pkg}'s shared entry ${what}; platform code goes under src/node/ or src/browser/`,
            });
          }
        }
      }
      if (portable && platform === 'node') {
        for (const [pattern, what] of DOM_GLOBALS) {
          const m = pattern.exec(text);
          if (m)
            violations.push({ file: shown, line: lineOf(text, m.index), message: `Node-only code ${what}` });
        }
      }
    }
  }
  return violations;
}
