import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BadInput, listImageFiles, loadImageFolder } from '../src/node/advanced.js';

let dir: string;

async function png(path: string, rgb: [number, number, number]) {
  await sharp({
    create: { width: 8, height: 6, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toFile(path);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graft-node-data-'));
  mkdirSync(join(dir, 'photos/cat'), { recursive: true });
  mkdirSync(join(dir, 'photos/dog/nested'), { recursive: true });
  await png(join(dir, 'photos/cat/a.png'), [200, 10, 10]);
  await png(join(dir, 'photos/cat/b.png'), [200, 10, 10]);
  await png(join(dir, 'photos/dog/c.png'), [10, 10, 200]);
  await png(join(dir, 'photos/dog/nested/d.png'), [10, 200, 10]);
  writeFileSync(join(dir, 'photos/dog/broken.png'), 'not an image');
  writeFileSync(join(dir, 'photos/dog/notes.txt'), 'hello');
  writeFileSync(join(dir, 'photos/dog/.hidden.png'), 'x');
  symlinkSync(join(dir, 'nowhere.png'), join(dir, 'photos/cat/dangling.png'));
});

describe('loadImageFolder (Node)', () => {
  it('decodes a class-per-folder data set, reporting bad entries first and bad images, with progress', async () => {
    const bad: BadInput[] = [];
    const progress: [number, number][] = [];
    const data = await loadImageFolder(join(dir, 'photos'), {
      onBad: (b) => bad.push(b),
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(data.classes).toEqual(['cat', 'dog']);
    expect(data.images.map((i) => [i.id!.slice(dir.length + 8), i.label, i.width, i.height])).toEqual([
      ['cat/a.png', 'cat', 8, 6],
      ['cat/b.png', 'cat', 8, 6],
      ['dog/c.png', 'dog', 8, 6],
      ['dog/nested/d.png', 'dog', 8, 6],
    ]);
    expect(bad.map((b) => [b.kind, b.path.slice(dir.length + 8)])).toEqual([
      ['entry', 'cat/dangling.png'],
      ['image', 'dog/broken.png'],
    ]);
    expect(bad[1]!.reason).toMatch(/is not an image in a format graft reads/);
    expect(progress.at(-1)).toEqual([5, 5]);
    expect(progress.map((p) => p[0])).toEqual([1, 2, 3, 4, 5]);
    // the same pixels hash alike; other pixels do not
    const hash = (name: string) => data.hashes.get(join(dir, 'photos', name));
    expect(hash('cat/a.png')).toBe(hash('cat/b.png'));
    expect(hash('cat/a.png')).not.toBe(hash('dog/c.png'));
    expect(data.skipped.map((s) => s.path.slice(dir.length + 8)).sort()).toContain('dog/broken.png');
  });

  it('stops at the first bad input when onBad throws, and refuses a class left empty', async () => {
    await expect(
      loadImageFolder(join(dir, 'photos'), {
        onBad: (b) => {
          throw new Error(`strict: ${b.path}`);
        },
      }),
    ).rejects.toThrow(/^strict: .*dangling\.png$/);
    const empty = join(dir, 'empty-class');
    mkdirSync(join(empty, 'good'), { recursive: true });
    mkdirSync(join(empty, 'bad'), { recursive: true });
    await png(join(empty, 'good/x.png'), [1, 2, 3]);
    writeFileSync(join(empty, 'bad/y.png'), '');
    await expect(loadImageFolder(empty)).rejects.toThrow(
      "class 'bad' has no readable images left after skipping bad files",
    );
  });

  it('says a file whose name is not UTF-8 cannot be read by name, rather than calling it a broken link', async () => {
    const root = join(dir, 'latin1');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'b'), { recursive: true });
    await png(join(root, 'a/ok.png'), [1, 2, 3]);
    await png(join(root, 'b/ok.png'), [3, 2, 1]);
    writeFileSync(
      Buffer.concat([Buffer.from(`${root}/a/caf`), Buffer.from([0xe9]), Buffer.from('.png')]),
      'x',
    );
    const bad: BadInput[] = [];
    await loadImageFolder(root, { onBad: (b) => bad.push(b) });
    expect(bad).toEqual([
      {
        path: join(root, 'a/caf\uFFFD.png'),
        reason: 'its name is not valid UTF-8, so it cannot be read by name (rename it)',
        kind: 'entry',
      },
    ]);
  });

  it('names a missing folder', async () => {
    await expect(loadImageFolder(join(dir, 'nope'))).rejects.toThrow(/nope: no such file or folder/);
  });
});

describe('listImageFiles (Node)', () => {
  it('reads a CSV or JSONL list of paths, relative to the list', async () => {
    writeFileSync(join(dir, 'photos/list.csv'), 'path,label\ncat/a.png,cat\n"dog/c.png",dog\n');
    writeFileSync(
      join(dir, 'photos/list.jsonl'),
      `{"path":"cat/b.png"}\n{"path":"${join(dir, 'photos/dog/c.png')}"}\n`,
    );
    const files = await listImageFiles([join(dir, 'photos/list.csv'), join(dir, 'photos/list.jsonl')]);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'photos/cat/a.png',
      'photos/dog/c.png',
      'photos/cat/b.png',
      'photos/dog/c.png',
    ]);
    writeFileSync(join(dir, 'photos/bad.jsonl'), '{"file":"x.png"}\n');
    await expect(listImageFiles([join(dir, 'photos/bad.jsonl')])).rejects.toThrow(
      'bad.jsonl:1: expected a path',
    );
  });

  it('expands folders recursively in name order, keeps named files and missing ones', async () => {
    const files = await listImageFiles([
      join(dir, 'photos/dog'),
      join(dir, 'photos/dog/notes.txt'),
      join(dir, 'missing.png'),
    ]);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'photos/dog/broken.png',
      'photos/dog/c.png',
      'photos/dog/nested/d.png',
      'photos/dog/notes.txt',
      'missing.png',
    ]);
  });

  it('lists a folder named twice once', async () => {
    const files = await listImageFiles([join(dir, 'photos/cat'), join(dir, 'photos/cat')]);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
      'photos/cat/a.png',
      'photos/cat/b.png',
      'photos/cat/dangling.png',
    ]);
  });
});
