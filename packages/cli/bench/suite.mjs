#!/usr/bin/env node
// pnpm bench (cli): full-size ResNet50 at 224×224, Graft's engines side by side with PyTorch on
// the same machine in the same run; results printed and written into BENCHMARKS.md between the
// bench:cli markers. PyTorch cases are skipped with a note where Debian's python3-torch is missing.
// BENCH_SECONDS (default 6) sets how long each throughput case runs.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClassifier } from '@graft/core';
import { createOnnxAccelerator, createStepWorkers, fileActivationStore } from '@graft/core/advanced';
import { buildResNet50, getModel } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

import {
  fp32Peak,
  graftWithRss,
  mb,
  notes,
  PYTHON,
  repo,
  row,
  say,
  seconds,
  threads,
  throughput,
  torch,
  writeResults,
} from './lib.mjs';

const started = performance.now();
tfc.enableProdMode();

// ---------------------------------------------------------------------------------------------
const peak = await fp32Peak();
say(`bench: ResNet50 224×224, ${threads} threads; FP32 peak ${peak.gflops.toFixed(0)} GFLOP/s (${peak.how})`);
await tfc.setBackend('wasm');
const model = buildResNet50({ inputShape: [224, 224, 3] });
const accelerator = createOnnxAccelerator({ ort, threads });
const runner = await accelerator.prepare(model, {
  outputs: ['conv5_block3_out'],
  mode: 'pooled',
  inputSize: [224, 224],
  weightsKey: 'bench',
});
const torchFeatures = {};
for (const batch of [8, 32]) {
  torchFeatures[batch] = {
    plain: torch(['features', batch, seconds]),
    jemalloc: torch(['features', batch, seconds], true),
  };
}
say('feature extraction (images/s)');
for (const batch of [8, 32]) {
  const input = new Float32Array(batch * 224 * 224 * 3).map((_, i) => (i % 251) - 120);
  const onnx = await throughput(batch, () => runner.run(input, batch));
  const t = torchFeatures[batch];
  row('features', `onnxruntime, batch ${batch}`, onnx, 'img/s', t.plain?.imagesPerSecond, 'PyTorch');
  if (t.jemalloc)
    row(
      'features',
      `  vs PyTorch + jemalloc, batch ${batch}`,
      onnx,
      'img/s',
      t.jemalloc.imagesPerSecond,
      'PyTorch+jemalloc',
    );
}
await runner.dispose();
for (const batch of [8, 32]) {
  const x = tfc.randomUniform([batch, 224, 224, 3], -120, 130);
  const wasm = await throughput(batch, async () => {
    const y = model.predict(x);
    await y.data();
    y.dispose();
  });
  x.dispose();
  row(
    'features',
    `tfjs wasm (1 thread in Node), batch ${batch}`,
    wasm,
    'img/s',
    torchFeatures[batch].plain?.imagesPerSecond,
    'PyTorch',
  );
}
await tfc.setBackend('cpu');
{
  const x = tfc.randomUniform([1, 224, 224, 3], -120, 130);
  const t0 = performance.now();
  const y = model.predict(x);
  await y.data();
  tfc.dispose([x, y]);
  row('features', 'tfjs cpu (pure JS), one image', 1 / ((performance.now() - t0) / 1000), 'img/s');
}
await tfc.setBackend('wasm');
model.dispose();

// ---------------------------------------------------------------------------------------------
say('fine-tuning step, batch 8 (images/s)');
const spec = getModel('resnet50');
function syntheticImages(n) {
  return Array.from({ length: n }, (_, i) => ({
    pixels: Uint8Array.from({ length: 224 * 224 * 3 }, (_, j) => (j * (i + 3)) % 256),
    width: 224,
    height: 224,
    label: `c${i % 2}`,
    id: `img${i}`,
  }));
}
/** Images/s of a fine-tuning phase: the mean of its epochs after the first (which warms up). */
async function fineTuneSpeed({ freeze, examples, onDisk = false, workers = 0, epochs = 3 }) {
  const clf = createClassifier({
    backbone: { model: buildResNet50({ inputShape: [224, 224, 3] }), spec },
    classes: ['c0', 'c1'],
  });
  if (freeze) clf.accelerator = createOnnxAccelerator({ ort, threads });
  if (onDisk) {
    // what a set above the 1 GB memory limit gets: the CLI's float16 file
    clf.activationStore = fileActivationStore();
    clf.frozenActivationMemoryBytes = 0;
  }
  // the CLI's own worker setup (train/run.ts): the step workers run tfjs-backend-wasm as the main thread does
  const wasm = { name: 'wasm', module: import.meta.resolve('@tensorflow/tfjs-backend-wasm') };
  const pool = workers > 0 ? createStepWorkers(workers, { backend: wasm }) : null;
  clf.stepWorkers = pool;
  try {
    const history = await clf.fit(syntheticImages(examples), {
      strategy: 'fine-tune',
      freeze,
      epochs,
      batchSize: 8,
    });
    const later = history.phases[0].epochs.slice(1);
    return later.reduce((sum, e) => sum + e.imagesPerSecond, 0) / later.length;
  } finally {
    await pool?.terminate();
    clf.dispose();
  }
}
const conv5 = await fineTuneSpeed({ freeze: 'conv4_block6_out', examples: 32 });
const conv5Workers = await fineTuneSpeed({ freeze: 'conv4_block6_out', examples: 32, workers: threads - 1 });
const conv5Disk = await fineTuneSpeed({ freeze: 'conv4_block6_out', examples: 16, onDisk: true });
// ~0.3 images/s: one measured epoch after the warm-up keeps the suite within its 15 minutes
const everyLayer = await fineTuneSpeed({ freeze: 0, examples: 8, epochs: 2 });
const torchStep = {};
for (const key of ['conv5', 'all'])
  torchStep[key] = {
    plain: torch(['fine-tune-step', key, 8, seconds]),
    jemalloc: torch(['fine-tune-step', key, 8, seconds], true),
  };
const fineTuneRows = [
  ['conv5 + head trainable (tfjs wasm, one thread; frozen prefix on onnxruntime, once)', conv5, 'conv5'],
  [
    `conv5 + head, ${threads - 1} worker thread(s) computing parts of each step (both cores)`,
    conv5Workers,
    'conv5',
  ],
  ['every layer trainable (tfjs wasm, one thread)', everyLayer, 'all'],
];
for (const [name, perSecond, key] of fineTuneRows) {
  row('fine-tune', name, perSecond, 'img/s', torchStep[key].plain?.imagesPerSecond, 'PyTorch');
  if (torchStep[key].jemalloc)
    row(
      'fine-tune',
      '  vs PyTorch + jemalloc',
      perSecond,
      'img/s',
      torchStep[key].jemalloc.imagesPerSecond,
      'PyTorch+jemalloc',
    );
}
row(
  'fine-tune',
  'conv5 + head, one thread, frozen activations as float16 in a file',
  conv5Disk,
  'img/s',
  conv5,
  'in memory',
);

// ---------------------------------------------------------------------------------------------
say('end to end (seconds, peak RSS)');
const work = mkdtempSync(join(tmpdir(), 'graft-bench-'));
const pngs = join(work, 'pngs');
mkdirSync(pngs);
for (let i = 0; i < 64; i++) {
  const raw = Buffer.from(
    Uint8Array.from({ length: 224 * 224 * 3 }, (_, j) => (((j / 3) | 0) * (i + 1) + (j % 3) * 80) % 256),
  );
  await sharp(raw, { raw: { width: 224, height: 224, channels: 3 } })
    .png()
    .toFile(join(pngs, `img${String(i).padStart(2, '0')}.png`));
}
const h5 = join(work, 'resnet50_notop.h5');
let weightsArgs = [];
try {
  execFileSync(PYTHON, [resolve(repo, '../shared/tools/make_resnet50_h5.py'), h5], { stdio: 'pipe' });
  weightsArgs = ['--weights', h5];
} catch (err) {
  notes.push(
    `end-to-end cases skipped: no full-size weight file (make_resnet50_h5.py needs python3-h5py): ${String(err).split('\n')[0]}`,
  );
}

/** Runs the built CLI; returns wall seconds and the child's peak RSS. */
const graft = (args, env = {}, { discardStdout = false } = {}) =>
  graftWithRss(args, { home: join(work, 'home'), env, discardStdout });
if (weightsArgs.length) {
  const files = readdirSync(pngs).map((f) => join(pngs, f));
  const embed = graft(['embed', ...files, '--model', 'resnet50', ...weightsArgs, '--json']);
  const embedWarm = graft(['embed', ...files, '--model', 'resnet50', ...weightsArgs, '--json']);
  const torchEmbed = torch(['embed', pngs]);
  const torchEmbedJem = torch(['embed', pngs], true);
  const torchWall = (r) => r?.seconds;
  row(
    'e2e',
    `graft embed, 64 PNGs, first run (exports the ONNX graph) — peak RSS ${mb(embed.rss)}`,
    embed.seconds,
    's',
    torchWall(torchEmbed),
    'PyTorch',
  );
  row(
    'e2e',
    `graft embed, 64 PNGs, graph cached (no tfjs model built) — peak RSS ${mb(embedWarm.rss)}${torchEmbed ? `; PyTorch ${mb(torchEmbed.maxRssBytes)}` : ''}`,
    embedWarm.seconds,
    's',
    torchWall(torchEmbed),
    'PyTorch',
  );
  if (torchEmbedJem)
    row(
      'e2e',
      '  vs PyTorch + jemalloc (graph cached)',
      embedWarm.seconds,
      's',
      torchEmbedJem.seconds,
      'PyTorch+jemalloc',
    );

  // Memory: peak RSS embedding 1,000 and 10,000 images (48×48 PNGs at 32×32 input, so that the
  // backbone's share stays small); graft embed decodes, embeds and writes a chunk at a time.
  const many = join(work, 'many');
  mkdirSync(many);
  for (let i = 0; i < 10000; i += 100)
    await Promise.all(
      Array.from({ length: 100 }, (_, k) => {
        const raw = Buffer.from(Uint8Array.from({ length: 48 * 48 * 3 }, (_, j) => (j * (i + k + 7)) & 255));
        return sharp(raw, { raw: { width: 48, height: 48, channels: 3 } })
          .png()
          .toFile(join(many, `${String(i + k).padStart(5, '0')}.png`));
      }),
    );
  const thousand = join(work, 'thousand');
  mkdirSync(thousand);
  for (const name of readdirSync(many).sort().slice(0, 1000))
    writeFileSync(join(thousand, name), readFileSync(join(many, name)));
  const embedMany = (folder) =>
    graft(
      ['embed', folder, '--model', 'resnet50', ...weightsArgs, '--image-size', '32', '--batch-size', '32'],
      {},
      { discardStdout: true },
    );
  embedMany(thousand); // compiles and keeps the 32×32 graph, so both runs below start alike
  const rss1k = embedMany(thousand);
  const rss10k = embedMany(many);
  row('e2e', `graft embed, 1,000 images (32×32) — peak RSS ${mb(rss1k.rss)}`, rss1k.seconds, 's');
  row(
    'e2e',
    `graft embed, 10,000 images (32×32) — peak RSS ${mb(rss10k.rss)} (${(rss10k.rss / rss1k.rss).toFixed(2)}× the 1,000-image run)`,
    rss10k.seconds,
    's',
  );

  const data = join(repo, 'examples', 'fashion-b', 'train'); // 500 images, 5 classes, resized to 224
  const trainArgs = [
    'train',
    data,
    '--model',
    'resnet50',
    ...weightsArgs,
    '--image-size',
    '224',
    '--epochs',
    '20',
  ];
  const first = graft([...trainArgs, '--out', join(work, 'fe1')]);
  const repeat = graft([...trainArgs, '--out', join(work, 'fe2')]);
  row(
    'e2e',
    `graft train, feature extraction, 500 images, 20 epochs — peak RSS ${mb(first.rss)}`,
    first.seconds,
    's',
  );
  row(
    'e2e',
    `graft train again on the same images (features from the cache) — ${(first.seconds / repeat.seconds).toFixed(1)}× faster`,
    repeat.seconds,
    's',
  );
  // fine-tuning on wasm runs ~2 images/s at 224×224: 100 of the images keep the suite within budget
  const small = join(work, 'fashion-100');
  for (const label of readdirSync(data)) {
    mkdirSync(join(small, label), { recursive: true });
    for (const file of readdirSync(join(data, label)).sort().slice(0, 20))
      writeFileSync(join(small, label, file), readFileSync(join(data, label, file)));
  }
  const ft = graft(
    [
      'train',
      small,
      '--model',
      'resnet50',
      ...weightsArgs,
      '--image-size',
      '224',
      '--strategy',
      'fine-tune',
    ].concat(['--head-epochs', '1', '--epochs', '2', '--out', join(work, 'ft')]),
    { GRAFT_HOME: join(work, 'home-ft') },
  );
  row(
    'e2e',
    `graft train, fine-tuning conv5, 100 images, 1 + 2 epochs — peak RSS ${mb(ft.rss)}`,
    ft.seconds,
    's',
  );
}

writeResults({ peak, started, torchFeatures });
