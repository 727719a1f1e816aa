#!/usr/bin/env node
// pnpm bench (zoo): how long full-size ResNet50 weights take to load, side by side in one run:
// the Keras .h5 parsed with jsfive (what Graft uses), the same file parsed with h5wasm, and the
// converted TF.js copy Graft keeps in its cache (read from disk, sha256-checked).
// Needs a full-size Keras-layout file: made with ../shared/tools/make_resnet50_h5.py (python3-h5py),
// or pass one: node bench/load-weights.mjs path/to/resnet50_notop.h5
import '@tensorflow/tfjs-backend-cpu';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildResNet50,
  convertModel,
  diskConvertedReader,
  loadConvertedWeights,
  loadWeightsFromKerasH5,
  readKerasWeightFile,
  writeConvertedFolder,
} from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
await tfc.setBackend('cpu');
tfc.enableProdMode();

let file = process.argv[2];
if (!file) {
  const tool = resolve(repo, '../shared/tools/make_resnet50_h5.py');
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  file = join(mkdtempSync(join(tmpdir(), 'graft-bench-')), 'resnet50_notop_full.h5');
  try {
    execFileSync(python, [tool, file], { stdio: 'pipe' });
  } catch (err) {
    console.log(
      `zoo bench skipped: cannot make a full-size weight file (${tool} with python3-h5py): ${String(err).split('\n')[0]}`,
    );
    process.exit(0);
  }
}

const runs = Number(process.env.BENCH_RUNS ?? 5);
async function median(label, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { label, ms: times[Math.floor(runs / 2)] };
}

const model = buildResNet50({ inputShape: [224, 224, 3] });
const bytes = new Uint8Array(readFileSync(file));
const results = [];
results.push(
  await median('Keras .h5: read file + parse (jsfive) + set weights', async () => {
    const b = new Uint8Array(readFileSync(file));
    loadWeightsFromKerasH5(model, b, file);
  }),
);
results.push(
  await median('Keras .h5: parse only (jsfive)', async () => {
    readKerasWeightFile(bytes.buffer.slice(0), file);
  }),
);
let h5wasm = null;
try {
  h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
} catch {}
if (h5wasm) {
  results.push(
    await median('Keras .h5: parse only (h5wasm, for comparison)', async () => {
      const f = new h5wasm.File(file, 'r');
      for (const ln of f.attrs.layer_names.value) {
        const g = f.get(ln);
        const wn = g.attrs.weight_names
          ? [].concat(g.attrs.weight_names.value).filter((x) => typeof x === 'string')
          : [];
        for (const w of wn) g.get(w).value;
      }
      f.close();
    }),
  );
}
const outDir = join(mkdtempSync(join(tmpdir(), 'graft-bench-conv-')), 'resnet50');
const files = await convertModel(
  model,
  { model: 'resnet50', includeTop: false, preprocessing: 'caffe', source: { fileName: 'bench' } },
  'bench',
);
await writeConvertedFolder(outDir, files);
results.push(
  await median('converted TF.js copy: read shards + sha256 + set weights', async () => {
    await loadConvertedWeights(model, diskConvertedReader(outDir));
  }),
);
model.dispose();

const base = results[0].ms;
console.log(
  `\nResNet50 (no top, 23.6 M parameters) weight loading, median of ${runs}, ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}`,
);
console.log('| case | ms | vs .h5 load |');
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.label} | ${r.ms.toFixed(0)} | ${(base / r.ms).toFixed(2)}× |`);
