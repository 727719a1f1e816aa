#!/usr/bin/env node
// pnpm bench (core): one fine-tuning run of a thin ResNet50 (widths / 8, 32×32, every layer
// trainable, batch 64) on the pure-JS cpu backend and on the wasm backend — which can train
// convolutions only because @graft/core registers Conv2DBackpropFilter for it — side by side.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { cpus } from 'node:os';
import { createClassifier } from '@graft/core';
import { buildResNet50, getModel } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';

const images = Number(process.env.BENCH_IMAGES ?? 128);
const data = Array.from({ length: images }, (_, i) => ({
  pixels: Uint8Array.from({ length: 32 * 32 * 3 }, (_, j) => (i * 7 + j * 13) % 256),
  width: 32,
  height: 32,
  label: 'abcde'[i % 5],
  id: String(i),
}));

async function msPerImage(backend) {
  await tfc.setBackend(backend);
  tfc.enableProdMode();
  const model = buildResNet50({ widthDivisor: 8, inputShape: [32, 32, 3] });
  const spec = { ...getModel('resnet50'), inputSize: [32, 32] };
  const clf = createClassifier({ backbone: { model, spec }, classes: ['a', 'b', 'c', 'd', 'e'] });
  await clf.fit(data.slice(0, 64), {
    strategy: 'fine-tune',
    freeze: 0,
    trainBatchNorm: true,
    epochs: 1,
    batchSize: 64,
  }); // warm-up
  const t = performance.now();
  await clf.fit(data, { strategy: 'fine-tune', freeze: 0, trainBatchNorm: true, epochs: 1, batchSize: 64 });
  const ms = (performance.now() - t) / images;
  clf.dispose();
  return ms;
}

const wasm = await msPerImage('wasm');
const cpu = await msPerImage('cpu');
console.log(
  `\nFine-tuning every layer of ResNet50 / 8 at 32×32, batch 64, ${images} images, ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}`,
);
console.log('| backend | ms per image | images/s | vs cpu |');
console.log('|---|---:|---:|---:|');
console.log(`| cpu (pure JS) | ${cpu.toFixed(1)} | ${(1000 / cpu).toFixed(1)} | 1.00× |`);
console.log(
  `| wasm + Graft's Conv2DBackpropFilter | ${wasm.toFixed(1)} | ${(1000 / wasm).toFixed(1)} | ${(cpu / wasm).toFixed(2)}× |`,
);
