import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../src/index.js';
import { fitLinearProbe, stratifiedFolds } from '../src/probe/linear-probe.js';
import type { ProgressEvent } from '../src/train/loop.js';
import { Random } from '../src/util/random.js';
import { colourImages, memoryIO, thinBackbone } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/** Gaussian blobs: `k` classes in `d` dimensions, class means `separation` apart-ish, offset and scaled. */
function blobs(n: number, d: number, k: number, separation: number, seed: number) {
  const rng = new Random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => gauss() * separation));
  const features = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    labels[i] = c;
    // features on very different scales and offsets: standardisation has work to do
    for (let j = 0; j < d; j++) features[i * d + j] = (centres[c]![j]! + gauss()) * (j + 1) * 3 + 10 * j;
  }
  return { features, labels };
}

/** The probe's objective in float64 at `theta` on standardised features. */
function objective64(
  x: Float64Array[],
  labels: ArrayLike<number>,
  w: number[],
  k: number,
  l2: number,
  theta: Float64Array,
) {
  const d = x[0]!.length;
  let f = 0;
  x.forEach((row, i) => {
    const z = Array.from({ length: k }, (_, c) => {
      let s = theta[d * k + c]!;
      for (let j = 0; j < d; j++) s += row[j]! * theta[j * k + c]!;
      return s;
    });
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    f += w[i]! * (lse - z[labels[i]!]!);
  });
  for (let i = 0; i < d * k; i++) f += 0.5 * l2 * theta[i]! ** 2;
  return f;
}

/** Standardisation as the probe documents it (training mean, population std). */
function standardise64(features: Float32Array, n: number, d: number): Float64Array[] {
  const mean = new Array(d).fill(0);
  const sd = new Array(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += features[i * d + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (features[i * d + j]! - mean[j]) ** 2 / n;
  return Array.from({ length: n }, (_, i) =>
    Float64Array.from({ length: d }, (_, j) => (features[i * d + j]! - mean[j]) / Math.sqrt(sd[j])),
  );
}

/** An independent reference: Newton's method in float64 with the exact Hessian. */
function newtonReference(x: Float64Array[], labels: ArrayLike<number>, w: number[], k: number, l2: number) {
  const d = x[0]!.length;
  const p = (d + 1) * k;
  const theta = new Float64Array(p);
  for (let iteration = 0; iteration < 50; iteration++) {
    const g = new Float64Array(p);
    const h = Array.from({ length: p }, () => new Float64Array(p));
    x.forEach((row, i) => {
      const xt = [...row, 1];
      const z = Array.from({ length: k }, (_, c) => xt.reduce((s, v, j) => s + v * theta[j * k + c]!, 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const total = e.reduce((a, v) => a + v, 0);
      const prob = e.map((v) => v / total);
      for (let j = 0; j <= d; j++) {
        for (let c = 0; c < k; c++) {
          g[j * k + c]! += w[i]! * (prob[c]! - (labels[i] === c ? 1 : 0)) * xt[j]!;
          for (let j2 = 0; j2 <= d; j2++) {
            for (let c2 = 0; c2 < k; c2++) {
              h[j * k + c]![j2 * k + c2]! +=
                w[i]! * xt[j]! * xt[j2]! * ((c === c2 ? prob[c]! : 0) - prob[c]! * prob[c2]!);
            }
          }
        }
      }
    });
    for (let i = 0; i < p; i++) {
      if (i < d * k) {
        g[i]! += l2 * theta[i]!;
        h[i]![i]! += l2;
      } else h[i]![i]! += 1e-10; // the biases are free up to a common constant
    }
    // solve h · step = g (Gaussian elimination with partial pivoting)
    const a = h.map((row, i) => [...row, g[i]!]);
    for (let col = 0; col < p; col++) {
      let pivot = col;
      for (let r = col + 1; r < p; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
      [a[col], a[pivot]] = [a[pivot]!, a[col]!];
      for (let r = col + 1; r < p; r++) {
        const factor = a[r]![col]! / a[col]![col]!;
        for (let c = col; c <= p; c++) a[r]![c]! -= factor * a[col]![c]!;
      }
    }
    const step = new Float64Array(p);
    for (let r = p - 1; r >= 0; r--) {
      let s = a[r]![p]!;
      for (let c = r + 1; c < p; c++) s -= a[r]![c]! * step[c]!;
      step[r] = s / a[r]![r]!;
    }
    for (let i = 0; i < p; i++) theta[i]! -= step[i]!;
    if (Math.max(...g.map(Math.abs)) < 1e-12) break;
  }
  return theta;
}

describe('linear probe', () => {
  it('reaches the optimum of a high-precision Newton solution (1e-4 in loss), with and without class weights', async () => {
    const n = 90;
    const d = 4;
    const k = 3;
    const { features, labels } = blobs(n, d, k, 0.8, 1);
    const x = standardise64(features, n, d);
    for (const [l2, classWeights] of [
      [0.05, null],
      [1e-3, null],
      [0.02, [1, 3, 0.5]],
    ] as const) {
      const sampleWeights = classWeights ? Array.from(labels, (c) => classWeights[c]!) : null;
      const raw = sampleWeights ?? new Array(n).fill(1);
      const total = raw.reduce((a, v) => a + v, 0);
      const w = raw.map((v) => v / total);
      const reference = newtonReference(x, labels, w, k, l2);
      const probe = await fitLinearProbe(features, labels, k, { l2, sampleWeights });
      const best = objective64(x, labels, w, k, l2, reference);
      const reached = objective64(x, labels, w, k, l2, probe.solution);
      expect(probe.selection).toBe('fixed');
      expect(probe.converged).toBe(true);
      expect(Math.abs(reached - best), `l2 ${l2}`).toBeLessThan(1e-4);
      expect(reached).toBeGreaterThanOrEqual(best - 1e-9);
    }
  });

  it('folds the standardisation into the kernel and bias: the same logits on raw features', async () => {
    const n = 60;
    const d = 5;
    const k = 3;
    const { features, labels } = blobs(n, d, k, 1, 2);
    const probe = await fitLinearProbe(features, labels, k, { l2: 0.01 });
    let largest = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let folded = probe.bias[c]!;
        let unfolded = probe.solution[d * k + c]!;
        for (let j = 0; j < d; j++) {
          const v = features[i * d + j]!;
          folded += v * probe.kernel[j * k + c]!;
          unfolded += ((v - probe.mean[j]!) / probe.std[j]!) * probe.solution[j * k + c]!;
        }
        largest = Math.max(largest, Math.abs(folded - unfolded) / Math.max(1, Math.abs(unfolded)));
      }
    }
    expect(largest).toBeLessThan(1e-5);
  });

  it('chooses a stronger L2 penalty on a tiny noisy set than on a large clean one', async () => {
    const noisy = blobs(20, 30, 2, 0.25, 3);
    const clean = blobs(600, 30, 2, 1.5, 4);
    const a = await fitLinearProbe(noisy.features, noisy.labels, 2, { seed: 1 });
    const b = await fitLinearProbe(clean.features, clean.labels, 2, { seed: 1 });
    expect(a.selection).toBe('cross-validation');
    expect(a.folds).toBe(5);
    expect(a.l2).toBeGreaterThan(b.l2);
    expect(b.score!).toBeGreaterThan(0.9);
  });

  it('is deterministic for a seed, leaks no tensors and deals stratified folds', async () => {
    const { features, labels } = blobs(80, 6, 4, 0.6, 5);
    const before = tfc.memory().numTensors;
    const one = await fitLinearProbe(features, labels, 4, { seed: 7 });
    const two = await fitLinearProbe(features, labels, 4, { seed: 7 });
    expect(tfc.memory().numTensors).toBe(before);
    expect(Array.from(two.kernel)).toEqual(Array.from(one.kernel));
    expect(two.l2).toBe(one.l2);
    const folds = stratifiedFolds(labels, 5, 7);
    for (let f = 0; f < 5; f++) {
      const perClass = [0, 1, 2, 3].map((c) => labels.filter((l, i) => l === c && folds[i] === f).length);
      expect(perClass).toEqual([4, 4, 4, 4]);
    }
  });

  it('chooses on a validation set when one is given, and respects class weights', async () => {
    const { features, labels } = blobs(90, 4, 3, 0.4, 6);
    const val = blobs(60, 4, 3, 0.4, 7);
    const probe = await fitLinearProbe(features, labels, 3, { validation: val });
    expect(probe.selection).toBe('validation');
    expect(probe.path.length).toBeGreaterThan(2);
    const share = (r: { kernel: Float32Array; bias: Float32Array }) => {
      let count = 0;
      for (let i = 0; i < 90; i++) {
        const z = [0, 1, 2].map((c) => {
          let s = r.bias[c]!;
          for (let j = 0; j < 4; j++) s += features[i * 4 + j]! * r.kernel[j * 3 + c]!;
          return s;
        });
        if (z.indexOf(Math.max(...z)) === 1) count++;
      }
      return count;
    };
    const plain = await fitLinearProbe(features, labels, 3, { l2: 0.1 });
    const weighted = await fitLinearProbe(features, labels, 3, {
      l2: 0.1,
      sampleWeights: Array.from(labels, (c) => (c === 1 ? 10 : 1)),
    });
    expect(share(weighted)).toBeGreaterThan(share(plain));
  });

  it('gives the same solution on the wasm backend', async () => {
    const { features, labels } = blobs(60, 5, 3, 0.8, 8);
    const onCpu = await fitLinearProbe(features, labels, 3, { l2: 0.01 });
    await tfc.setBackend('wasm');
    try {
      const onWasm = await fitLinearProbe(features, labels, 3, { l2: 0.01 });
      for (let i = 0; i < onCpu.kernel.length; i++) expect(onWasm.kernel[i]).toBeCloseTo(onCpu.kernel[i]!, 2);
      expect(onWasm.trainLoss).toBeCloseTo(onCpu.trainLoss, 4);
    } finally {
      await tfc.setBackend('cpu');
    }
  });
});

describe('fit solves the head by default', () => {
  const classes = ['red', 'green', 'blue'];

  it('solves instead of training epochs, says so in its events, and saves a plain GAP → Dense model', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 1 });
    const events: ProgressEvent[] = [];
    const before = tfc.memory().numTensors;
    const history = await clf.fit(colourImages(8, 1), { epochs: 30, onProgress: (e) => events.push(e) });
    expect(tfc.memory().numTensors).toBe(before);
    const phase = history.phases[0]!;
    expect(phase.epochs).toHaveLength(1);
    expect(phase.probe?.selection).toBe('cross-validation');
    expect(phase.probe?.folds).toBe(5);
    expect(phase.epochs[0]!.l2).toBe(phase.probe!.l2);
    expect(events.every((e) => e.solver === 'probe' && e.epochs === 1)).toBe(true);
    expect(events.filter((e) => e.type === 'batch').every((e) => e.probe !== undefined)).toBe(true);
    expect(events.at(-1)!.type).toBe('epoch');
    const test = colourImages(6, 2);
    expect((await clf.evaluate(test)).accuracy).toBe(1);

    const io = memoryIO();
    await clf.save(io.save);
    const plain = await tfl.loadLayersModel(io.load());
    const names = plain.layers.map((l) => l.getClassName());
    expect(names.slice(-3)).toEqual(['GlobalAveragePooling2D', 'Dropout', 'Dense']);
    const fromPlain = await clf.predict(test);
    expect(fromPlain.map((p) => p.label)).toEqual(test.map((t) => t.label));
    plain.dispose();
    clf.dispose();
  });

  it("keeps the SGD loop for head: 'sgd' and for augmentation, and refuses head: 'probe' with augmentation", async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 1 });
    const train = colourImages(4, 1);
    const sgd = await clf.fit(train, { head: 'sgd', epochs: 3, batchSize: 12 });
    expect(sgd.phases[0]!.epochs).toHaveLength(3);
    expect(sgd.phases[0]!.probe).toBeUndefined();
    const augmented = await clf.fit(train, { augment: { views: 1 }, epochs: 2, batchSize: 12 });
    expect(augmented.phases[0]!.epochs).toHaveLength(2);
    await expect(clf.fit(train, { head: 'probe', augment: true })).rejects.toThrow(/head: 'sgd'/);
    clf.dispose();
  });
});

describe('fineTune starts from the solved head (LP-FT)', () => {
  it('solves phase one, then fine-tunes from that head; head: sgd trains phase one for headEpochs', async () => {
    const classes = ['red', 'green', 'blue'];
    const data = colourImages(6, 3);
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 2 });
    const history = await clf.fineTune(data, { epochs: 2, batchSize: 9, seed: 1 });
    expect(history.phases.map((p) => [p.phase, p.epochs.length])).toEqual([
      ['head', 1],
      ['fine-tune', 2],
    ]);
    expect(history.phases[0]!.probe?.selection).toBe('cross-validation');
    clf.dispose();
    const sgd = createClassifier({ backbone: thinBackbone(), classes, seed: 2 });
    const trained = await sgd.fineTune(data, { head: 'sgd', headEpochs: 2, epochs: 1, batchSize: 9 });
    expect(trained.phases.map((p) => [p.phase, p.epochs.length])).toEqual([
      ['head', 2],
      ['fine-tune', 1],
    ]);
    expect(trained.phases[0]!.probe).toBeUndefined();
    sgd.dispose();
  });
});

describe('linear probe on large sets', () => {
  it('holds out one stratified fold instead of fitting every fold, above holdoutAbove', async () => {
    const { features, labels } = blobs(200, 10, 2, 1, 9);
    const steps: number[] = [];
    const r = await fitLinearProbe(features, labels, 2, {
      holdoutAbove: 1000,
      onStep: (s) => void steps.push(s.fold),
    });
    expect(r.folds).toBe(5);
    expect(r.heldOutFolds).toBe(1);
    expect(new Set(steps)).toEqual(new Set([0, -1]));
  });
});

describe('linear probe with one example of a class', () => {
  it('takes the strongest strength of the grid, and says so', async () => {
    const { features, labels } = blobs(3, 4, 3, 1, 10);
    const r = await fitLinearProbe(features, labels, 3);
    expect(r.selection).toBe('strongest');
    expect(r.l2).toBe(10);
    expect(r.path).toEqual([]);
  });
});
