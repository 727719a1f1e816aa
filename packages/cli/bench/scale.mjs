#!/usr/bin/env node
// pnpm bench (cli), scale-out: images/s of `graft embed --queue` with 1, 2 and 3 `graft worker`
// processes against one process embedding the same images with `--out` (no queue), and the
// queue's overhead per shard (the same images cut in 20× more shards). Redis is Debian's
// redis-server on loopback; the model is the bundled demo backbone. Results are printed and
// written into BENCHMARKS.md between the bench:scale markers.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { here, say, writeBenchSection } from './lib.mjs';

const IMAGES = Number(process.env.BENCH_SCALE_IMAGES ?? 4000);
const bin = join(here, '..', 'dist', 'bin.js');
const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'graft-bench-scale-'));
const env = { ...process.env, GRAFT_HOME: join(work, 'home') };
const model = ['--model', 'resnet50-mini-fashion'];

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: 'ignore',
  },
);
const url = `redis://127.0.0.1:${port}/0`;
while (
  spawnSync('redis-cli', ['-p', String(port), 'ping'])
    .stdout?.toString()
    .trim() !== 'PONG'
)
  await new Promise((r) => setTimeout(r, 50));

say(`bench: making ${IMAGES} images of 96×96`);
const data = join(work, 'images');
for (let i = 0; i < IMAGES; i += 200)
  await Promise.all(
    Array.from({ length: Math.min(200, IMAGES - i) }, (_, k) => {
      const n = i + k;
      const dir = join(data, `class${n % 4}`);
      mkdirSync(dir, { recursive: true });
      const raw = Buffer.from(
        Uint8Array.from({ length: 96 * 96 * 3 }, (_, j) => (j * (n + 3) + (j % 3) * 70) & 255),
      );
      return sharp(raw, { raw: { width: 96, height: 96, channels: 3 } })
        .png()
        .toFile(join(dir, `${String(n).padStart(5, '0')}.png`));
    }),
  );

function run(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`graft ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

/** Starts `n` workers and waits until each has opened the model (a warm-up shard), so only the run is timed. */
async function startWorkers(n) {
  const children = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [bin, 'worker', '--queue', url], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.setEncoding('utf8');
    return child;
  });
  const warm = join(work, `warm-${n}`);
  run([
    'embed',
    join(data, 'class0'),
    ...model,
    '--out',
    warm,
    '--shard-size',
    String(Math.ceil(IMAGES / 4 / (n * 2))),
    '--queue',
    url,
  ]);
  rmSync(warm, { recursive: true });
  return children;
}
const stop = (children) =>
  Promise.all(children.map((c) => new Promise((resolve) => c.once('exit', resolve) && c.kill('SIGTERM'))));

const shardSize = 200;
run(['embed', data, ...model, '--out', join(work, 'warm-local'), '--shard-size', String(shardSize)]); // keeps the ONNX graph
const local =
  IMAGES / run(['embed', data, ...model, '--out', join(work, 'local'), '--shard-size', String(shardSize)]);
say(`  one process, no queue: ${local.toFixed(0)} images/s`);
let overheadMs = 0;
const rows = [['one process, `--out` without a queue', local, null]];
for (const n of [1, 2, 3]) {
  const children = await startWorkers(n);
  const rate =
    IMAGES /
    run([
      'embed',
      data,
      ...model,
      '--out',
      join(work, `queue-${n}`),
      '--shard-size',
      String(shardSize),
      '--queue',
      url,
    ]);
  say(`  ${n} worker(s): ${rate.toFixed(0)} images/s`);
  rows.push([`queue, ${n} worker process${n > 1 ? 'es' : ''}`, rate, rate / local]);
  if (n === 1) {
    const small = 10; // shards
    const coarse = run([
      'embed',
      data,
      ...model,
      '--out',
      join(work, 'coarse'),
      '--shard-size',
      String(shardSize * 5),
      '--queue',
      url,
    ]);
    const fine = run([
      'embed',
      data,
      ...model,
      '--out',
      join(work, 'fine'),
      '--shard-size',
      String(small),
      '--queue',
      url,
    ]);
    const extraShards = IMAGES / small - IMAGES / (shardSize * 5);
    overheadMs = ((fine - coarse) * 1000) / extraShards;
    say(
      `  queue overhead: ${overheadMs.toFixed(1)} ms per shard (${IMAGES / small} shards of ${small} vs ${IMAGES / (shardSize * 5)} of ${shardSize * 5})`,
    );
  }
  await stop(children);
}
redis.kill('SIGKILL');
rmSync(work, { recursive: true, force: true });

writeBenchSection('scale', 'Scale-out on a queue (cli)', [
  `Command: \`pnpm bench\` (packages/cli/bench/scale.mjs, BENCH_SCALE_IMAGES=${IMAGES}). ${new Date().toISOString().slice(0, 10)}; ${cpus()[0].model}, ${cpus().length} threads; Node ${process.version}; redis-server ${
    spawnSync('redis-server', ['--version'])
      .stdout.toString()
      .match(/v=(\S+)/)?.[1] ?? '?'
  } on loopback. ${IMAGES} PNGs of 96×96, the bundled demo backbone (64×64 input) on ONNX Runtime, shards of ${shardSize}; workers started and warm before each timed run. Whole bench: ${((performance.now() - started) / 60000).toFixed(1)} min.`,
  '',
  '| run | images/s | vs one process |',
  '| --- | ---: | ---: |',
  ...rows.map(
    ([name, rate, ratio]) => `| ${name} | ${rate.toFixed(0)} | ${ratio ? `${ratio.toFixed(2)}×` : '—'} |`,
  ),
  '',
  `Queue overhead per shard: ${overheadMs.toFixed(1)} ms (the same images in shards of 10 against shards of ${shardSize * 5}, one worker).`,
]);
