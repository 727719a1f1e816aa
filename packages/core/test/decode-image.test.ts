import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../src/node/decode-image.js';

let dir: string;
const raw = (w: number, h: number, channels: 1 | 3 | 4, f: (i: number) => number) =>
  sharp(Buffer.from(Array.from({ length: w * h * channels }, (_, i) => f(i))), {
    raw: { width: w, height: h, channels },
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'graft-decode-'));
});

describe('decodeImageFile', () => {
  it('returns the exact pixels of a lossless image, as 8-bit RGB HWC', async () => {
    const file = join(dir, 'exact.png');
    await raw(5, 4, 3, (i) => (i * 37) % 256)
      .png()
      .toFile(file);
    const img = await decodeImageFile(file);
    expect([img.width, img.height]).toEqual([5, 4]);
    expect(Array.from(img.pixels)).toEqual(Array.from({ length: 60 }, (_, i) => (i * 37) % 256));
  });

  it('drops alpha, expands grayscale, converts 16-bit and CMYK to 8-bit sRGB', async () => {
    const rgba = join(dir, 'rgba.png');
    await raw(2, 2, 4, (i) => (i % 4 === 3 ? 10 : 200))
      .png()
      .toFile(rgba);
    expect(Array.from((await decodeImageFile(rgba)).pixels)).toEqual(new Array(12).fill(200));

    const gray = join(dir, 'gray.png');
    await raw(3, 1, 1, (i) => i * 100)
      .png()
      .toFile(gray);
    expect(Array.from((await decodeImageFile(gray)).pixels)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200]);

    const deep = join(dir, 'deep.png');
    await raw(2, 1, 3, () => 128)
      .toColourspace('rgb16')
      .png()
      .toFile(deep);
    const d = await decodeImageFile(deep);
    expect(d.pixels.length).toBe(6);
    for (const v of d.pixels) expect(Math.abs(v - 128)).toBeLessThanOrEqual(1);

    const cmyk = join(dir, 'cmyk.jpg');
    await raw(8, 8, 3, (i) => [200, 40, 40][i % 3]!)
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toFile(cmyk);
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const c = await decodeImageFile(cmyk);
    expect(c.pixels.length).toBe(8 * 8 * 3);
    expect(c.pixels[0]!).toBeGreaterThan(c.pixels[1]! + 80); // still red
  });

  it('applies EXIF orientation', async () => {
    const file = join(dir, 'rotated.jpg');
    await raw(4, 2, 3, () => 100)
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const img = await decodeImageFile(file);
    expect([img.width, img.height]).toEqual([2, 4]);
  });

  it('reads the first frame of a GIF and WebP', async () => {
    const gif = join(dir, 'a.gif');
    await raw(3, 3, 3, () => 50)
      .gif()
      .toFile(gif);
    expect((await decodeImageFile(gif)).width).toBe(3);
    const webp = join(dir, 'a.webp');
    await raw(3, 3, 3, () => 50)
      .webp()
      .toFile(webp);
    expect((await decodeImageFile(webp)).height).toBe(3);
  });

  it('names the file and the problem for every bad input', async () => {
    const empty = join(dir, 'empty.png');
    writeFileSync(empty, '');
    await expect(decodeImageFile(empty)).rejects.toThrow(`${empty}: is empty (0 bytes)`);

    const text = join(dir, 'text.jpg');
    writeFileSync(text, 'hello, I am not a picture');
    await expect(decodeImageFile(text)).rejects.toThrow(`${text}: is not an image in a format graft reads`);

    const good = join(dir, 'good.png');
    await raw(32, 32, 3, (i) => i % 251)
      .png()
      .toFile(good);
    const truncated = join(dir, 'truncated.png');
    const bytes = readFileSync(good);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(decodeImageFile(truncated)).rejects.toThrow(
      new RegExp(`${truncated}: cannot be decoded \\(corrupt or truncated\\?\\)`),
    );

    const jpg = join(dir, 'good.jpg');
    await raw(32, 32, 3, (i) => i % 251)
      .jpeg()
      .toFile(jpg);
    const cut = join(dir, 'cut.jpg');
    writeFileSync(cut, readFileSync(jpg).subarray(0, 300));
    await expect(decodeImageFile(cut)).rejects.toThrow(/cut\.jpg: cannot be decoded/);

    await expect(decodeImageFile(good, 100)).rejects.toThrow(
      `${good}: is larger than the limit of 100 pixels`,
    );
    await expect(decodeImageFile(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png: no such file/);
    const folder = join(dir, 'folder.png');
    mkdirSync(folder);
    await expect(decodeImageFile(folder)).rejects.toThrow(`${folder}: is a folder, not an image`);
  });
});
