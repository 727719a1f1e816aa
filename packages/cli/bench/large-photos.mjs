#!/usr/bin/env node
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { graftWithRss, mb, say, writeBenchSection } from './lib.mjs';

const WIDTH = 2000;
const HEIGHT = 1500;
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'graft-bench-photos-'));

/** A folder of `count` distinct smooth photos in two classes (smooth, so the JPEGs stay small on disk). */
async function photos(count) {
  const dir = join(work, `photos-${count}`);
  for (let i = 0; i < count; i++) {
    const label = i % 2 ? 'b' : 'a';
    mkdirSync(join(dir, label), { recursive: true });
    const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
    for (let y = 0, o = 0; y < HEIGHT; y++)
      for (let x = 0; x < WIDTH; x++, o += 3) {
        raw[o] = ((x * (1 + (i % 13))) / 8 + (label === 'a' ? 0 : 90)) & 255;
        raw[o + 1] = (y / 6 + i * 7) & 255;
        raw[o + 2] = ((x + y) / 12) & 255;
      }
    await sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
      .jpeg({ quality: 85 })
      .toFile(join(dir, label, `${String(i).padStart(4, '0')}.jpg`));
  }
  return dir;
}

/** Runs the built CLI; returns wall seconds and the child's peak RSS in bytes. */
const graft = (args) => graftWithRss(args, { home: join(work, 'home'), discardStdout: true });

const model = ['--model', 'resnet50-mini-fashion'];
const results = {};
for (const count of [100, 1000]) {
  say(`bench: making ${count} photos of ${WIDTH}×${HEIGHT}`);
  const dir = await photos(count);
  const run = join(work, `run-${count}`);
  results[count] = {
    train: graft(['train', dir, ...model, '--out', run, '--epochs', '3']),
    evaluate: graft(['evaluate', run, dir]),
    predict: graft(['predict', run, dir, '--json']),
  };
  for (const [command, r] of Object.entries(results[count]))
    say(
      `  graft ${command}, ${count} photos: ${(r.rss / 2 ** 20).toFixed(0)} MB peak RSS, ${r.seconds.toFixed(1)} s`,
    );
  rmSync(dir, { recursive: true });
}
rmSync(work, { recursive: true, force: true });

const table = [
  '| command | 100 photos | 1,000 photos | 1,000 / 100 |',
  '| --- | ---: | ---: | ---: |',
  ...Object.keys(results[100]).map((command) => {
    const [small, large] = [results[100][command], results[1000][command]];
    return `| graft ${command} | ${mb(small.rss)} (${small.seconds.toFixed(1)} s) | ${mb(large.rss)} (${large.seconds.toFixed(1)} s) | ${(large.rss / small.rss).toFixed(2)}× |`;
  }),
];
writeBenchSection('photos', 'Memory over many large photos (cli)', [
  `Command: \`pnpm bench\` (packages/cli/bench/large-photos.mjs). ${new Date().toISOString().slice(0, 10)}; ${cpus()[0].model}, ${cpus().length} threads; Node ${process.version}. ${WIDTH}×${HEIGHT} JPEGs in two classes, the bundled demo model (resnet50-mini-fashion, 64×64 input), peak RSS of each \`graft\` process (seconds in brackets). Whole bench: ${((performance.now() - started) / 60000).toFixed(1)} min.`,
  '',
  ...table,
]);
