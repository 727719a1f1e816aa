import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDataset } from '../src/data/scan.js';
import { tempDir } from './helpers.js';

describe('scanDataset', () => {
  it('does not follow a folder link out of its class folder (its images would get the wrong label)', async () => {
    const root = tempDir('graft-scan-');
    for (const c of ['sandal', 'boot']) {
      mkdirSync(join(root, c, 'more'), { recursive: true });
      writeFileSync(join(root, c, `${c}-1.png`), 'x');
      writeFileSync(join(root, c, 'more', `${c}-2.png`), 'x');
    }
    symlinkSync('..', join(root, 'sandal', 'up')); // sandal/up -> the data set root
    symlinkSync(join(root, 'boot'), join(root, 'sandal', 'boots')); // another class
    symlinkSync('more', join(root, 'boot', 'same')); // inside its own class: followed
    const scanned = await scanDataset(root);
    const labelled = scanned.files.map((f) => `${f.label}:${f.path.slice(root.length + 1)}`);
    expect(labelled).toEqual([
      'boot:boot/boot-1.png',
      'boot:boot/more/boot-2.png',
      'sandal:sandal/more/sandal-2.png',
      'sandal:sandal/sandal-1.png',
    ]);
    const reasons = Object.fromEntries(scanned.skipped.map((s) => [s.path.slice(root.length + 1), s.reason]));
    expect(reasons['sandal/up']).toMatch(/a link to a folder outside the class folder .*labelled 'sandal'/);
    expect(reasons['sandal/boots']).toMatch(/outside the class folder/);
    expect(reasons['boot/same']).toMatch(/link loop/); // boot/more was read already
  });
});
