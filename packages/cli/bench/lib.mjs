// Shared parts of the cli bench (suite.mjs): timing, the PyTorch reference, result rows, and
// writing them into BENCHMARKS.md between the bench:cli markers.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchSection } from '@graft/test-support';
import * as tfc from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { ProtoWriter } from '../../zoo/dist/onnx/protobuf.js';

export { writeBenchSection };

export const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../../..');
export const seconds = Number(process.env.BENCH_SECONDS ?? 6);
export const threads = availableParallelism();
export const PYTHON = '/usr/bin/python3';
const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
/** ResNet50 forward pass at 224×224: 4.09 G multiply-adds = 8.2 GFLOP (torchvision's figure ×2). */
export const GFLOP_PER_IMAGE = 8.18;
export const rows = [];
export const notes = [];

export function say(text) {
  process.stderr.write(`${text}\n`);
}

/**
 * The machine's FP32 peak, two ways: nominal (cores × the MHz /proc/cpuinfo reports × FLOP per
 * cycle: two AVX-512 FMA units do 2 × 16 × 2 = 64) and measured (ONNX Runtime's MatMul on
 * 2048×2048 matrices, the best a tuned kernel does here). Shares use the larger.
 */
export async function fp32Peak() {
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

export async function throughput(batch, fn) {
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
export const torchMissing = haveTorch();
if (torchMissing) notes.push(`PyTorch cases skipped: ${torchMissing}.`);
const haveJemalloc = existsSync(JEMALLOC);
if (!torchMissing && !haveJemalloc)
  notes.push('PyTorch with jemalloc skipped: libjemalloc2 is not installed.');

/** Runs the PyTorch reference; `jemalloc` preloads it with the decay settings the issue gives. */
export function torch(args, jemalloc = false) {
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

export function row(section, name, graft, unit, reference, referenceName) {
  const entry = { section, name, graft, unit, reference, referenceName };
  rows.push(entry);
  const ratio = reference
    ? ` (${(unit === 's' ? reference / graft : graft / reference).toFixed(2)}× ${referenceName})`
    : '';
  say(`  ${name}: ${graft.toFixed(2)} ${unit}${ratio}`);
}

/** Prints the results table and writes it into BENCHMARKS.md; `torchFeatures` names PyTorch's version. */
export function writeResults({ peak, started, torchFeatures }) {
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
  writeBenchSection('cli', 'ResNet50 at 224×224: Graft vs PyTorch (cli)', [
    `Command: \`pnpm bench\` (packages/cli/bench/suite.mjs, BENCH_SECONDS=${seconds}). ${new Date().toISOString().slice(0, 10)}; ${cpus()[0].model}, ${threads} threads; ${versions}. Whole suite: ${(total / 60).toFixed(1)} min.`,
    `FP32 peak ${peak.gflops.toFixed(0)} GFLOP/s (${peak.how}); a ResNet50 image at 224×224 is ${GFLOP_PER_IMAGE} GFLOP. Ratios above 1 mean Graft is faster. Weights are random (same arithmetic); the end-to-end runs load a full-size Keras-layout .h5 made by make_resnet50_h5.py.`,
    '',
    ...table,
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
  ]);
  say(`bench: wrote BENCHMARKS.md (${(total / 60).toFixed(1)} min)`);
}

/**
 * Runs the built CLI in a child process (through rss.mjs) with GRAFT_HOME at `home`; returns its
 * wall seconds and peak RSS in bytes, or throws with its stderr when it fails.
 */
export function graftWithRss(args, { home, env = {}, discardStdout = false }) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, 'rss.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, GRAFT_HOME: home, ...env },
    maxBuffer: 1 << 28,
    stdio: ['ignore', discardStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`graft ${args.join(' ')} failed: ${r.stderr}`);
  return { seconds, rss: Number(/graft-bench-maxrss (\d+)/.exec(r.stderr)?.[1] ?? 0) * 1024 };
}

/** Bytes as whole megabytes: `412 MB`. */
export const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
