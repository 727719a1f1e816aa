#!/usr/bin/env node
// pnpm bench (core), side by side in one run on a thin ResNet50 (widths / 8, 32×32, batch 64):
//  1. fine-tuning every layer on the pure-JS cpu backend and on wasm, which can train
//     convolutions only because @graft/core registers Conv2DBackpropFilter for it;
//  2. fine-tuning conv5 only on wasm, recomputing the frozen prefix every step or keeping its
//     activations (cacheFrozenActivations).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { cpus } from 'node:os';
import { createClassifier } from '@graft/core';
import { buildResNet50, getModel } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';

const images = Number(process.env.BENCH_IMAGES ?? 128);
const epochs = 3;
const data = Array.from({ length: images }, (_, i) => ({
  pixels: Uint8Array.from({ length: 32 * 32 * 3 }, (_, j) => (i * 7 + j * 13) % 256),
  width: 32,
  height: 32,
  label: 'abcde'[i % 5],
  id: String(i),
}));

/** Milliseconds per image per epoch, after a warm-up fit. */
async function msPerImage(backend, options, runEpochs = epochs) {
  await tfc.setBackend(backend);
  tfc.enableProdMode();
  const model = buildResNet50({ widthDivisor: 8, inputShape: [32, 32, 3] });
  const spec = { ...getModel('resnet50'), inputSize: [32, 32] };
  const clf = createClassifier({ backbone: { model, spec }, classes: ['a', 'b', 'c', 'd', 'e'] });
  const fit = (d, e) =>
    clf.fit(d, { strategy: 'fine-tune', trainBatchNorm: true, epochs: e, batchSize: 64, ...options });
  await fit(data.slice(0, 64), 1);
  const t = performance.now();
  await fit(data, runEpochs);
  const ms = (performance.now() - t) / (runEpochs * images);
  clf.dispose();
  return ms;
}

const conv5 = { freeze: 'conv4_block6_out' };
const recomputed = await msPerImage('wasm', { ...conv5, cacheFrozenActivations: false });
const kept = await msPerImage('wasm', { ...conv5, cacheFrozenActivations: true });
const wasm = await msPerImage('wasm', { freeze: 0 });
const cpu = await msPerImage('cpu', { freeze: 0 }, 1);

const row = (name, ms, base) =>
  `| ${name} | ${ms.toFixed(2)} | ${(1000 / ms).toFixed(1)} | ${(base / ms).toFixed(2)}× |`;
console.log(`\n${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}, ${images} images, batch 64`);
console.log('\nFine-tuning every layer of ResNet50 / 8 at 32×32');
console.log('| backend | ms per image per epoch | images/s | vs cpu |\n|---|---:|---:|---:|');
console.log(row('cpu (pure JS), 1 epoch', cpu, cpu));
console.log(row(`wasm + Graft's Conv2DBackpropFilter, ${epochs} epochs`, wasm, cpu));
console.log(`\nFine-tuning conv5 only (freeze conv4_block6_out) on wasm, ${epochs} epochs`);
console.log('| frozen prefix | ms per image per epoch | images/s | vs recomputing |\n|---|---:|---:|---:|');
console.log(row('recomputed every step', recomputed, recomputed));
console.log(row('activations kept (cacheFrozenActivations)', kept, recomputed));
