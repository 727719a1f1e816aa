#!/usr/bin/env node
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArchitecture } from './check.mjs';
import { checkFileSizes } from './file-sizes.mjs';

const root = resolve(process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
const violations = [...checkArchitecture(root), ...checkFileSizes(root).violations];
for (const v of violations) console.error(`${v.file}:${v.line}: ${v.message}`);
if (violations.length > 0) {
  console.error(`repository check: ${violations.length} violation(s)`);
  process.exit(1);
}
console.error('repository check: ok (imports, platforms, file sizes)');
