#!/usr/bin/env node
// pnpm bench (core): the solved head (fitLinearProbe) against the SGD head Graft trained before,
// side by side on the same features, on wasm in Node: 10,000 training × 2,048 features, 10 classes
// (ResNet50's pooled width), plus 2,000 held-out rows. The features are synthetic — class means in a
// 64-dimensional subspace, spread into 2,048 correlated, non-negative, unevenly scaled columns like
// post-ReLU pooled activations, with enough class overlap that the head matters.
//  1. the probe as `fit` runs it: standardise, choose L2 by cross-validation, refit;
//  2. the probe at one fixed L2 strength (no search);
//  3. the SGD head as `graft train --head sgd` trains it: Dropout 0.2 + Dense softmax, Adam 1e-3,
//     batch 32, 20 epochs (tf.layers `fit`).
import '@tensorflow/tfjs-backend-wasm';
import { cpus } from 'node:os';
import { fitLinearProbe, Random } from '@graft/core/advanced';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const n = Number(process.env.BENCH_PROBE_ROWS ?? 10_000);
const heldOut = 2_000;
const d = 2048;
const k = 10;
const latent = 64;

await tfc.setBackend('wasm');
tfc.enableProdMode();

const rng = new Random(1);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const means = Array.from({ length: k }, () => Float64Array.from({ length: latent }, () => gauss() * 0.35));
const mixing = Float64Array.from({ length: latent * d }, () => gauss() / Math.sqrt(latent));
const scale = Float64Array.from({ length: d }, () => Math.exp(gauss()));
function rows(count) {
  const x = new Float32Array(count * d);
  const y = new Int32Array(count);
  const z = new Float64Array(latent);
  for (let i = 0; i < count; i++) {
    const c = rng.int(k);
    y[i] = c;
    for (let l = 0; l < latent; l++) z[l] = means[c][l] + gauss();
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let l = 0; l < latent; l++) v += z[l] * mixing[l * d + j];
      x[i * d + j] = Math.max(0, v + 0.3 * gauss()) * scale[j];
    }
  }
  return { x, y };
}
const train = rows(n);
const test = rows(heldOut);

function accuracyOf(kernel, bias) {
  let correct = 0;
  for (let i = 0; i < heldOut; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = bias[c];
      for (let j = 0; j < d; j++) s += test.x[i * d + j] * kernel[j * k + c];
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    if (best === test.y[i]) correct++;
  }
  return correct / heldOut;
}

async function timed(run) {
  const t = performance.now();
  const out = await run();
  return { ...out, seconds: (performance.now() - t) / 1000 };
}

const before = tfc.memory().numTensors;
const cv = await timed(async () => {
  const r = await fitLinearProbe(train.x, train.y, k, { seed: 0 });
  return {
    accuracy: accuracyOf(r.kernel, r.bias),
    note: `L2 ${r.l2.toExponential(1)} by ${r.folds}-fold CV, ${r.totalIterations} L-BFGS iterations in all`,
  };
});
const fixed = await timed(async () => {
  const r = await fitLinearProbe(train.x, train.y, k, { l2: 1e-3 });
  return { accuracy: accuracyOf(r.kernel, r.bias), note: `L2 1e-3, ${r.iterations} iterations` };
});
const sgd = await timed(async () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dropout({ rate: 0.2, inputShape: [d] }),
      tfl.layers.dense({ units: k, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tfc.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const x = tfc.tensor2d(train.x, [n, d]);
  const y = tfc.tensor1d(Float32Array.from(train.y));
  await model.fit(x, y, { epochs: 20, batchSize: 32, shuffle: true, verbose: 0 });
  const [w, b] = model.layers[1].getWeights().map((t) => t.dataSync());
  tfc.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return {
    accuracy: accuracyOf(w, b),
    note: 'Dropout 0.2 + Dense, Adam 1e-3, batch 32, 20 epochs, raw features',
  };
});
const leaked = tfc.memory().numTensors - before;

const row = (name, r) =>
  `| ${name} | ${r.seconds.toFixed(2)} | ${(sgd.seconds / r.seconds).toFixed(2)}× | ${(r.accuracy * 100).toFixed(1)}% | ${r.note} |`;
console.log(`\n${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}, tfjs wasm (one thread)`);
console.log(
  `\nHead on ${n.toLocaleString('en')} × ${d} features, ${k} classes; accuracy on ${heldOut.toLocaleString('en')} held-out rows`,
);
console.log('| head | fit seconds | speed vs SGD | held-out accuracy | how |\n|---|---:|---:|---:|---|');
console.log(row('probe, L2 by cross-validation (fit default)', cv));
console.log(row('probe, one fixed L2', fixed));
console.log(row('SGD head (head: sgd)', sgd));
console.log(`tensors left behind: ${leaked}`);
