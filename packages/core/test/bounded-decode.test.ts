import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { toInputBatch } from '../src/data/batch.js';
import { decodeFiles, loadImageFolder } from '../src/node/advanced.js';
import { decodeImageFile } from '../src/node/decode-image.js';

let dir: string;
const gradient = (w: number, h: number, seed: number) =>
  sharp(Buffer.from(Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * seed + (i % 7) * 31) & 255)), {
    raw: { width: w, height: h, channels: 3 },
  }).png();

beforeAll(async () => {
  await tfc.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'graft-bounded-'));
  mkdirSync(join(dir, 'set/big'), { recursive: true });
  mkdirSync(join(dir, 'set/small'), { recursive: true });
  await gradient(300, 200, 3).toFile(join(dir, 'set/big/a.png'));
  await gradient(120, 90, 5).toFile(join(dir, 'set/big/b.png'));
  await gradient(20, 10, 7).toFile(join(dir, 'set/small/c.png'));
});

describe('decoding with maxSize', () => {
  it('keeps only a copy at the input size, exactly what the classifier would have made of the photo', async () => {
    const file = join(dir, 'set/big/a.png');
    const full = await decodeImageFile(file);
    const { images } = await decodeFiles([file], { maxSize: [32, 24], hash: true });
    const shrunk = images[0]!.image;
    expect([shrunk.height, shrunk.width, shrunk.pixels.length]).toEqual([32, 24, 32 * 24 * 3]);
    expect(shrunk.pixels).toBeInstanceOf(Float32Array);
    const direct = toInputBatch([full], [32, 24]);
    const viaShrunk = toInputBatch([shrunk], [32, 24]);
    expect(Array.from(viaShrunk.dataSync())).toEqual(Array.from(direct.dataSync()));
    tfc.dispose([direct, viaShrunk]);
    // the hash is of the pixels as decoded, so it names the photo, not the model's view of it
    expect(images[0]!.sha256).toBe(createHash('sha256').update(full.pixels).digest('hex'));
  });

  it('leaves images no bigger than the input as decoded, and rounds to bytes when asked', async () => {
    const small = join(dir, 'set/small/c.png');
    const big = join(dir, 'set/big/b.png');
    const { images } = await decodeFiles([small, big], { maxSize: [16, 16], roundResized: true });
    expect(images[0]!.image).toEqual(await decodeImageFile(small));
    const rounded = images[1]!.image;
    expect(rounded.pixels).toBeInstanceOf(Uint8Array);
    const floats = toInputBatch([await decodeImageFile(big)], [16, 16]);
    expect(Array.from(rounded.pixels)).toEqual(Array.from(floats.dataSync(), Math.round));
    floats.dispose();
  });

  it('loads a labelled folder shrunk, with the hashes of the photos and no tensor left behind', async () => {
    const before = tfc.memory().numTensors;
    const data = await loadImageFolder(join(dir, 'set'), { maxSize: [8, 8] });
    expect(tfc.memory().numTensors).toBe(before);
    expect(data.images.map((i) => [i.label, i.width, i.height])).toEqual([
      ['big', 8, 8],
      ['big', 8, 8],
      ['small', 8, 8],
    ]);
    const full = await decodeImageFile(join(dir, 'set/small/c.png'));
    expect(data.hashes.get(join(dir, 'set/small/c.png'))).toBe(
      createHash('sha256').update(full.pixels).digest('hex'),
    );
  });
});
