#!/usr/bin/env node
// Writes src/version.ts from the package's package.json before a build, so that the shared entry
// (which may not read files) still knows its version. Run from a package folder.
import { readFileSync, writeFileSync } from 'node:fs';

const [constName = 'VERSION'] = process.argv.slice(2);
const { name, version } = JSON.parse(readFileSync('package.json', 'utf8'));
const text = `// Generated from package.json by tools/write-version.mjs before each build.\n\n/** The version of ${name}. */\nexport const ${constName} = '${version}';\n`;
let current = '';
try {
  current = readFileSync('src/version.ts', 'utf8');
} catch {}
if (current !== text) writeFileSync('src/version.ts', text);
