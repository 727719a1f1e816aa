import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfc from '@tensorflow/tfjs-core';

await tfc.setBackend('cpu');

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (name: string) => join(fixturesDir, name);
export const fixtureBytes = (name: string) => new Uint8Array(readFileSync(fixture(name)));

/** The deterministic RGB test pattern of make_resnet50_h5.py (`pattern_image`), NHWC. */
export function patternImages(n: number, h: number, w: number): tfc.Tensor4D {
  const data = new Float32Array(n * h * w * 3);
  let i = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          data[i++] = (31 * y + 17 * x + 59 * c + 97 * b + ((y * x * (c + 1) * (b + 1)) % 23)) % 256;
        }
  return tfc.tensor4d(data, [n, h, w, 3]);
}

export interface Reference {
  w16_notop_64: {
    conv1_relu_sum: number[];
    conv2_block1_out_sum: number[];
    pooled: number[][];
    conv5_block3_out_shape: number[];
  };
  w16_notop_40x56: { pooled: number[][] };
  w64_top_224: { probs: number[][] };
}
export const reference = JSON.parse(readFileSync(fixture('reference-outputs.json'), 'utf8')) as Reference;

/** Largest |a - b| / (1 + |b|) over two equally shaped nested arrays. */
export function maxScaledDifference(a: number[][], b: number[][]): number {
  let worst = 0;
  for (const [i, row] of a.entries()) {
    for (const [j, v] of row.entries()) {
      const r = b[i]![j]!;
      worst = Math.max(worst, Math.abs(v - r) / (1 + Math.abs(r)));
    }
  }
  return worst;
}
