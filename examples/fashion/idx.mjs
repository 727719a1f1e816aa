// Reads Fashion-MNIST from Debian's dataset-fashion-mnist package (IDX files, gzip; MIT licence).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const FASHION_DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

/** The ten Fashion-MNIST classes, by label index. */
export const FASHION_CLASSES = [
  'tshirt-top',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle-boot',
];
/** Domain A (source, abundant) and domain B (target, scarce), by label index. */
export const DOMAIN_A = [0, 1, 2, 3, 4];
export const DOMAIN_B = [5, 6, 7, 8, 9];

function readIdx(file) {
  let bytes;
  try {
    bytes = gunzipSync(readFileSync(join(FASHION_DIR, file)));
  } catch (err) {
    throw new Error(
      `cannot read ${join(FASHION_DIR, file)} (${err.code ?? err.message}): install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const dims = magic & 0xff;
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  return { shape, data: bytes.subarray(4 + 4 * dims) };
}

/** `split` is 'train' (60,000) or 't10k' (10,000). Returns 28×28 grayscale images and labels. */
export function loadFashion(split) {
  const images = readIdx(`${split}-images-idx3-ubyte.gz`);
  const labels = readIdx(`${split}-labels-idx1-ubyte.gz`);
  const [n, h, w] = images.shape;
  return { n, height: h, width: w, pixels: images.data, labels: labels.data };
}

/** Image i of a split as an RGB image for Graft (gray replicated to three channels). */
export function rgbImage(split, i) {
  const size = split.height * split.width;
  const gray = split.pixels.subarray(i * size, (i + 1) * size);
  const pixels = new Uint8Array(size * 3);
  for (let p = 0; p < size; p++) pixels[3 * p] = pixels[3 * p + 1] = pixels[3 * p + 2] = gray[p];
  return { pixels, width: split.width, height: split.height };
}

/** Indices of the first `perClass` images of each listed class, in file order. */
export function firstPerClass(split, classes, perClass, skip = 0) {
  const taken = new Map(classes.map((c) => [c, 0]));
  const out = [];
  for (let i = 0; i < split.n; i++) {
    const c = split.labels[i];
    if (!taken.has(c)) continue;
    const k = taken.get(c);
    if (k >= skip && k < skip + perClass) out.push(i);
    taken.set(c, k + 1);
  }
  return out;
}
