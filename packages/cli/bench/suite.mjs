#!/usr/bin/env node
// pnpm bench (cli): full-size ResNet50 at 224×224, Graft's engines side by side with PyTorch on
// the same machine in the same run; results printed and written into BENCHMARKS.md between the
// bench:cli markers. PyTorch cases are skipped with a note where Debian's python3-torch is missing.
// BENCH_SECONDS (default 6) sets how long each throughput case runs.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClassifier, createOnnxAccelerator } from '@graft/core';
import { buildResNet50, getModel } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { ProtoWriter } from '../../zoo/dist/onnx/protobuf.js';
import { fileActivationStore } from '../dist/runs/activation-file.js';
import { createStepWorkers } from '../dist/runtime/step-workers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const threads = availableParallelism();
const PYTHON = '/usr/bin/python3';
const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
/** ResNet50 forward pass at 224×224: 4.09 G multiply-adds = 8.2 GFLOP (torchvision's figure ×2). */
const GFLOP_PER_IMAGE = 8.18;
const rows = [];
const notes = [];
const started = performance.now();
tfc.enableProdMode();

function say(text) {
  process.stderr.write(`${text}\n`);
}

/**
 * The machine's FP32 peak, two ways: nominal (cores × the MHz /proc/cpuinfo reports × FLOP per
 * cycle: two AVX-512 FMA units do 2 × 16 × 2 = 64) and measured (ONNX Runtime's MatMul on
 * 2048×2048 matrices, the best a tuned kernel does here). Shares use the larger.
 */
async function fp32Peak() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const perCycle = /\bavx512f\b/.test(info) ? 64 : /\bavx2\b/.test(info) ? 32 : 16;
  const mhz = Math.max(
    ...[...info.matchAll(/cpu MHz\s*:\s*([\d.]+)/g)].map((m) => Number(m[1])),
    ...cpus().map((c) => c.speed),
  );
  const nominal = (threads * mhz * perCycle) / 1000;
  const n = 2048;
  const w = new ProtoWriter();
  w.int(1, 8);
  w.message(7, (g) => {
    g.message(1, (m) => m.string(1, 'A').string(1, 'B').string(2, 'C').string(4, 'MatMul'));
    g.string(2, 'sgemm');
    for (const name of ['A', 'B'])
      g.message(11, (v) => {
        v.string(1, name);
        v.message(2, (t) =>
          t.message(1, (tt) => {
            tt.int(1, 1);
            tt.message(2, (shape) => {
              shape.message(1, (d) => d.int(1, n));
              shape.message(1, (d) => d.int(1, n));
            });
          }),
        );
      });
    g.message(12, (v) => {
      v.string(1, 'C');
      v.message(2, (t) => t.message(1, (tt) => tt.int(1, 1)));
    });
  });
  w.message(8, (o) => o.string(1, '').int(2, 13));
  const session = await ort.InferenceSession.create(w.finish(), { intraOpNumThreads: threads });
  const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
  const perSecond = await throughput(1, () => session.run({ A: a, B: a }));
  await session.release();
  const measured = (2 * n ** 3 * perSecond) / 1e9;
  return {
    gflops: Math.max(nominal, measured),
    how: `nominal ${nominal.toFixed(0)} GFLOP/s = ${threads} cores × ${(mhz / 1000).toFixed(2)} GHz (/proc/cpuinfo) × ${perCycle} FLOP/cycle; measured ${measured.toFixed(0)} GFLOP/s = ONNX Runtime MatMul 2048×2048, ${threads} threads`,
  };
}

async function throughput(batch, fn) {
  await fn(); // warm-up
  const t0 = performance.now();
  let done = 0;
  do {
    await fn();
    done += batch;
  } while (performance.now() - t0 < seconds * 1000);
  return done / ((performance.now() - t0) / 1000);
}

function haveTorch() {
  if (!existsSync(PYTHON)) return 'Debian python3 is not installed';
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  return r.status === 0
    ? null
    : 'python3-torch / python3-torchvision are not installed (apt-get install python3-torch python3-torchvision)';
}
const torchMissing = haveTorch();
if (torchMissing) notes.push(`PyTorch cases skipped: ${torchMissing}.`);
const haveJemalloc = existsSync(JEMALLOC);
if (!torchMissing && !haveJemalloc)
  notes.push('PyTorch with jemalloc skipped: libjemalloc2 is not installed.');

/** Runs the PyTorch reference; `jemalloc` preloads it with the decay settings the issue gives. */
function torch(args, jemalloc = false) {
  if (torchMissing || (jemalloc && !haveJemalloc)) return null;
  const env = { ...process.env, BENCH_THREADS: String(threads) };
  if (jemalloc)
    Object.assign(env, { LD_PRELOAD: JEMALLOC, MALLOC_CONF: 'dirty_decay_ms:-1,muzzy_decay_ms:-1' });
  const r = spawnSync(PYTHON, [join(here, 'torch_reference.py'), ...args.map(String)], {
    encoding: 'utf8',
    env,
  });
  if (r.status !== 0) throw new Error(`PyTorch reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function row(section, name, graft, unit, reference, referenceName) {
  const entry = { section, name, graft, unit, reference, referenceName };
  rows.push(entry);
  const ratio = reference
    ? ` (${(unit === 's' ? reference / graft : graft / reference).toFixed(2)}× ${referenceName})`
    : '';
  say(`  ${name}: ${graft.toFixed(2)} ${unit}${ratio}`);
}

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
  const pool = workers > 0 ? createStepWorkers(workers) : null;
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
function graft(args, env = {}, { discardStdout = false } = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, 'rss.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, GRAFT_HOME: join(work, 'home'), ...env },
    maxBuffer: 1 << 28,
    stdio: ['ignore', discardStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  const secondsTaken = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`graft ${args.join(' ')} failed: ${r.stderr}`);
  const rss = Number(/graft-bench-maxrss (\d+)/.exec(r.stderr)?.[1] ?? 0) * 1024;
  return { seconds: secondsTaken, rss };
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
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

// ---------------------------------------------------------------------------------------------
const total = (performance.now() - started) / 1000;
const versions = `Node ${process.version}, tfjs ${tfc.version_core}, onnxruntime-node ${ort.env.versions?.node ?? '?'}${torchFeatures[8].plain ? `, PyTorch ${torchFeatures[8].plain.torch} (${torchFeatures[8].plain.threads} threads)` : ''}`;
const table = [
  '| case | Graft | reference | ratio | share of FP32 peak |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => {
    const ratio = r.reference
      ? `${(r.unit === 's' ? r.reference / r.graft : r.graft / r.reference).toFixed(2)}× ${r.referenceName}`
      : '—';
    const ref = r.reference ? `${r.reference.toFixed(2)} ${r.unit}` : '—';
    const share =
      r.section === 'features' ? `${((100 * r.graft * GFLOP_PER_IMAGE) / peak.gflops).toFixed(0)}%` : '—';
    return `| ${r.name} | ${r.graft.toFixed(2)} ${r.unit} | ${ref} | ${ratio} | ${share} |`;
  }),
];
const section = [
  '<!-- bench:cli:start -->',
  `Command: \`pnpm bench\` (packages/cli/bench/suite.mjs, BENCH_SECONDS=${seconds}). ${new Date().toISOString().slice(0, 10)}; ${cpus()[0].model}, ${threads} threads; ${versions}. Whole suite: ${(total / 60).toFixed(1)} min.`,
  `FP32 peak ${peak.gflops.toFixed(0)} GFLOP/s (${peak.how}); a ResNet50 image at 224×224 is ${GFLOP_PER_IMAGE} GFLOP. Ratios above 1 mean Graft is faster. Weights are random (same arithmetic); the end-to-end runs load a full-size Keras-layout .h5 made by make_resnet50_h5.py.`,
  '',
  ...table,
  ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
  '<!-- bench:cli:end -->',
].join('\n');
console.log(section);
const benchmarks = join(repo, 'BENCHMARKS.md');
const text = readFileSync(benchmarks, 'utf8');
const pattern = /<!-- bench:cli:start -->[\s\S]*?<!-- bench:cli:end -->/;
writeFileSync(
  benchmarks,
  pattern.test(text)
    ? text.replace(pattern, section)
    : `${text.trimEnd()}\n\n## ResNet50 at 224×224: Graft vs PyTorch (cli)\n\n${section}\n`,
);
say(`bench: wrote BENCHMARKS.md (${(total / 60).toFixed(1)} min)`);
