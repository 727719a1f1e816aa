import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanDataset } from '@graft/core/advanced';
import { describe, expect, it } from 'vitest';
import { tempDir, writeImage } from './helpers.js';

describe('scanDataset', () => {
  it('reads a CSV of path,label (header optional, quoted cells, paths relative to the file)', async () => {
    const dir = tempDir('graft-scan-');
    mkdirSync(join(dir, 'img'));
    await writeImage(join(dir, 'img', 'a.png'), [200, 0, 0]);
    await writeImage(join(dir, 'img', 'b, c.png'), [0, 0, 200]);
    writeFileSync(join(dir, 'labels.csv'), 'path,label\nimg/a.png,red\n"img/b, c.png",blue\n\n');
    const s = await scanDataset(join(dir, 'labels.csv'));
    expect(s.classes).toEqual(['blue', 'red']);
    expect(s.files).toEqual([
      { path: join(dir, 'img', 'a.png'), label: 'red' },
      { path: join(dir, 'img', 'b, c.png'), label: 'blue' },
    ]);
  });

  it('reads JSONL, and names the line of a malformed entry', async () => {
    const dir = tempDir('graft-scan-');
    writeFileSync(
      join(dir, 'data.jsonl'),
      '{"path": "/x/a.png", "label": "cat"}\n{"path": "/x/b.png", "label": "dog"}\n',
    );
    const s = await scanDataset(join(dir, 'data.jsonl'));
    expect(s.files.map((f) => f.label)).toEqual(['cat', 'dog']);
    writeFileSync(join(dir, 'bad.jsonl'), '{"path": "/x/a.png", "label": "cat"}\n{"path": "/x/b.png"}\n');
    await expect(scanDataset(join(dir, 'bad.jsonl'))).rejects.toThrow(
      `${join(dir, 'bad.jsonl')}:2: expected a path and a label`,
    );
    writeFileSync(join(dir, 'bad.csv'), 'img/a.png\n');
    await expect(scanDataset(join(dir, 'bad.csv'))).rejects.toThrow(
      `${join(dir, 'bad.csv')}:1: expected a path and a label`,
    );
  });

  it('finds images at any depth inside a class folder, sorted, and says what a loose top-level file is', async () => {
    const dir = tempDir('graft-scan-');
    mkdirSync(join(dir, 'cat', 'indoor'), { recursive: true });
    mkdirSync(join(dir, 'dog'));
    await writeImage(join(dir, 'cat', 'indoor', 'b.png'), [1, 1, 1]);
    await writeImage(join(dir, 'cat', 'a.JPG'.toLowerCase()), [1, 1, 1], 32, 'jpeg');
    await writeImage(join(dir, 'dog', 'd.png'), [1, 1, 1]);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const s = await scanDataset(dir);
    expect(s.classes).toEqual(['cat', 'dog']);
    expect(s.files.map((f) => f.path.slice(dir.length + 1))).toEqual([
      'cat/a.jpg',
      'cat/indoor/b.png',
      'dog/d.png',
    ]);
    expect(s.skipped).toEqual([
      { path: join(dir, 'notes.txt'), reason: 'a file at the top level: images go in one folder per class' },
    ]);
  });

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
