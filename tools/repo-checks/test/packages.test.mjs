// What each published package carries (issue 14): a licence file, the fields npm shows, no source
// maps that point at a src/ it does not ship.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const published = ['zoo', 'core', 'cli', 'web'];

describe.each(published)('@graft/%s as published', (name) => {
  const dir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

  it('has an MIT LICENSE file, keywords and the Node it needs', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    expect(pkg.keywords.length).toBeGreaterThan(2);
    expect(pkg.engines).toEqual({ node: '>=20.19' });
    expect(pkg.private).toBeUndefined();
  });

  it('ships no source maps pointing at src/ it leaves out', () => {
    expect(pkg.files).not.toContain('src');
    const base = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
    expect(base.compilerOptions.sourceMap).toBe(false);
    expect(base.compilerOptions.declarationMap).toBe(false);
    const own = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    expect(own.compilerOptions?.sourceMap ?? false).toBe(false);
  });
});
