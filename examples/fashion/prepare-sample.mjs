#!/usr/bin/env node
// Writes the bundled domain-B sample (examples/fashion-b/{train,test}/<class>/*.png) from
// Fashion-MNIST: the first 100 training and the first 60 test images of each domain-B class.
// Run: node examples/fashion/prepare-sample.mjs   (needs Debian's dataset-fashion-mnist)
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DOMAIN_B, FASHION_CLASSES, firstPerClass, loadFashion } from './idx.mjs';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'fashion-b');
rmSync(out, { recursive: true, force: true });

for (const [split, dir, perClass] of [
  ['train', 'train', 100],
  ['t10k', 'test', 60],
]) {
  const data = loadFashion(split);
  for (const i of firstPerClass(data, DOMAIN_B, perClass)) {
    const label = FASHION_CLASSES[data.labels[i]];
    const folder = join(out, dir, label);
    mkdirSync(folder, { recursive: true });
    const gray = Buffer.from(data.pixels.subarray(i * 784, (i + 1) * 784));
    await sharp(gray, { raw: { width: 28, height: 28, channels: 1 } })
      .png({ compressionLevel: 9 })
      .toFile(join(folder, `${split}-${String(i).padStart(5, '0')}.png`));
  }
}
console.log(`wrote ${out}`);
