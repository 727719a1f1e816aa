import { Random } from '../util/random.js';
import { minimizeLbfgs } from './lbfgs.js';
import { type SoftmaxProblem, softmaxObjective, softmaxProblem, softmaxScore } from './softmax-regression.js';

/** The L2 strengths tried by default: 10⁻⁵ … 10¹ in half decades, as a log grid. */
export const DEFAULT_PROBE_GRID: readonly number[] = Array.from({ length: 13 }, (_, i) => 10 ** (1 - i / 2));

/** Options of {@link fitLinearProbe}. */
export interface LinearProbeOptions {
  /**
   * One L2 strength (no search), or the grid to choose from. Default {@link DEFAULT_PROBE_GRID}.
   * The objective is `Σᵢ wᵢ CEᵢ + l2/2 ‖W‖²` with weights summing to 1, so `l2` ≈ 1 / (C · n) in
   * scikit-learn's terms.
   */
  l2?: number | readonly number[];
  /**
   * Stratified folds for choosing the strength. Default 5 (never more than the smallest class has
   * examples).
   */
  folds?: number;
  /**
   * Above this many feature values (rows × columns), fit only the first of the folds (a stratified
   * hold-out of 1/folds) while choosing: on large sets one split estimates as well and costs a
   * fraction. Default 5,000,000 (e.g. 2,441 rows of ResNet50's 2,048 features).
   */
  holdoutAbove?: number;
  /** Choose the strength on this set instead of by cross-validation. */
  validation?: { features: Float32Array; labels: ArrayLike<number> } | null;
  /** A weight per training example (class weights), or null. */
  sampleWeights?: ArrayLike<number> | null;
  /** Seeds the fold assignment. Default 0. */
  seed?: number;
  /** Most L-BFGS iterations of the final fit. Default 1000. */
  maxIterations?: number;
  /** Largest gradient entry at which the final fit counts as solved. Default 1e-5. */
  gradientTolerance?: number;
  /** Called after each fit (each strength on each fold, then the final one). */
  onStep?: (step: ProbeStep) => void | Promise<void>;
  signal?: AbortSignal;
}

/** One fit done while choosing the strength. */
export interface ProbeStep {
  step: number;
  steps: number;
  l2: number;
  /** The fold, or -1 for the final fit on every training example. */
  fold: number;
  /** Held-out accuracy of this fit (the final fit: training accuracy). */
  accuracy: number;
}

/** How each strength scored (mean over folds, or on the validation set). */
export interface ProbePathPoint {
  l2: number;
  accuracy: number;
  loss: number;
}

/** A solved linear probe, with the standardisation folded into the kernel and bias. */
export interface LinearProbeResult {
  /** `d × k`, row-major: applies to raw (unstandardised) features. */
  kernel: Float32Array;
  bias: Float32Array;
  l2: number;
  /**
   * How the strength was chosen: `fixed` as given; `strongest` of the grid when nothing can be held
   * out (one example of some class, no validation set) — with so few examples the strongest penalty
   * is the safe side.
   */
  selection: 'cross-validation' | 'validation' | 'fixed' | 'strongest';
  folds: number;
  /** Of the folds, how many were held out in turn (1: a single stratified hold-out on a large set). */
  heldOutFolds: number;
  /** Mean held-out accuracy at the chosen strength (cross-validation or the validation set). */
  score: number | null;
  path: ProbePathPoint[];
  /** Weighted training cross-entropy (without the penalty) and accuracy of the final fit. */
  trainLoss: number;
  trainAccuracy: number;
  /** L-BFGS iterations of the final fit, and over every fit. */
  iterations: number;
  totalIterations: number;
  converged: boolean;
  /** The standardisation that was folded in, and the solution on standardised features (kernel, then bias). */
  mean: Float32Array;
  std: Float32Array;
  solution: Float64Array;
}

/** Per-feature mean and standard deviation (1 for constant features). */
function standardisation(
  features: Float32Array,
  n: number,
  d: number,
): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) sum[j]! += features[i * d + j]!;
  }
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) mean[j] = sum[j]! / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = features[i * d + j]! - mean[j]!;
      sq[j]! += c * c;
    }
  }
  const std = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sq[j]! / n);
    std[j] = s > 1e-6 * (Math.abs(mean[j]!) + 1e-6) ? s : 1;
  }
  return { mean: Float32Array.from(mean), std };
}

function standardise(features: Float32Array, d: number, mean: Float32Array, std: Float32Array): Float32Array {
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const j = i % d;
    out[i] = (features[i]! - mean[j]!) / std[j]!;
  }
  return out;
}

/** Stratified fold of each example: each class shuffled, then dealt round-robin. */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number, seed: number): Int32Array {
  const rng = new Random(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const fold = new Int32Array(labels.length);
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(c)!;
    for (let i = members.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    for (const i of members) fold[i] = next++ % folds;
  }
  return fold;
}

function smallestClass(labels: ArrayLike<number>, k: number): number {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return Math.min(...counts.filter((c) => c > 0));
}

/**
 * Multinomial logistic regression on pooled features, solved to optimum: the features are
 * standardised with the training set's mean and standard deviation, the L2 strength is chosen on a
 * log grid by stratified k-fold cross-validation (or on `validation`), from the strongest down with
 * each fit warm-started from the last (the path stops three strengths past the best), and the
 * chosen strength is refitted on every training example — CLIP's linear-probe protocol and
 * scikit-learn's `LogisticRegressionCV`. The standardisation is folded into the returned kernel and
 * bias, so they apply to raw features as one Dense layer.
 */
export async function fitLinearProbe(
  features: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
  options: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  const n = labels.length;
  if (n === 0) throw new Error('a linear probe needs training examples');
  const d = features.length / n;
  if (!Number.isInteger(d)) throw new Error(`${features.length} feature values do not make ${n} rows`);
  const k = numClasses;
  const { mean, std } = standardisation(features, n, d);
  const x = standardise(features, d, mean, std);
  const grid = typeof options.l2 === 'number' ? [options.l2] : [...(options.l2 ?? DEFAULT_PROBE_GRID)];
  if (grid.length === 0 || grid.some((v) => !(v >= 0))) throw new Error('l2 strengths must be numbers ≥ 0');
  grid.sort((a, b) => b - a);
  const weights = options.sampleWeights ?? null;
  const validation = options.validation && options.validation.labels.length > 0 ? options.validation : null;
  const folds = Math.min(options.folds ?? 5, smallestClass(labels, k));
  const fitted = n * d > (options.holdoutAbove ?? 5e6) ? 1 : folds;
  const selection: LinearProbeResult['selection'] =
    grid.length === 1 ? 'fixed' : validation ? 'validation' : folds >= 2 ? 'cross-validation' : 'strongest';
  const size = d * k + k;
  const pathFits =
    selection === 'fixed' || selection === 'strongest'
      ? 0
      : grid.length * (selection === 'validation' ? 1 : fitted);
  const steps = pathFits + 1;
  let step = 0;
  let totalIterations = 0;
  const throwIfAborted = () => {
    if (options.signal?.aborted) throw new Error('the linear probe was aborted');
  };

  // the path: each split keeps its own warm start
  const splits: { train: SoftmaxProblem; held: SoftmaxProblem; theta: Float64Array }[] = [];
  const path: ProbePathPoint[] = [];
  let chosen = selection === 'fixed' || selection === 'strongest' ? grid[0]! : Number.NaN;
  let chosenScore: number | null = null;
  let chosenThetas: Float64Array[] = [];
  try {
    if (selection === 'validation') {
      const v = validation!;
      const vx = standardise(v.features, d, mean, std);
      splits.push({
        train: softmaxProblem(x, d, labels, k, weights),
        held: softmaxProblem(vx, d, v.labels, k, null),
        theta: new Float64Array(size),
      });
    } else if (selection === 'cross-validation') {
      const fold = stratifiedFolds(labels, folds, options.seed ?? 0);
      for (let f = 0; f < fitted; f++) {
        const inFold: number[] = [];
        const outFold: number[] = [];
        for (let i = 0; i < n; i++) (fold[i] === f ? inFold : outFold).push(i);
        splits.push({
          train: softmaxProblem(x, d, labels, k, weights, outFold),
          held: softmaxProblem(x, d, labels, k, null, inFold),
          theta: new Float64Array(size),
        });
      }
    }
    let best: ProbePathPoint | null = null;
    let chosenIterations = 0;
    let sinceBest = 0;
    if (selection === 'cross-validation' || selection === 'validation') {
      for (const l2 of grid) {
        let accuracy = 0;
        let loss = 0;
        const thetas: Float64Array[] = [];
        let fitIterations = 0;
        for (const [f, split] of splits.entries()) {
          throwIfAborted();
          const fit = await minimizeLbfgs(softmaxObjective(split.train, l2), split.theta, {
            maxIterations: 300,
            gradientTolerance: 1e-3,
          });
          totalIterations += fit.iterations;
          fitIterations += fit.iterations;
          split.theta = fit.x;
          thetas.push(fit.x);
          const score = await softmaxScore(split.held, fit.x);
          accuracy += score.accuracy / splits.length;
          loss += score.loss / splits.length;
          await options.onStep?.({ step: ++step, steps, l2, fold: f, accuracy: score.accuracy });
        }
        const point = { l2, accuracy, loss };
        path.push(point);
        // more accuracy wins; at equal accuracy the lower loss; at equal both the stronger penalty
        if (
          !best ||
          accuracy > best.accuracy + 1e-9 ||
          (Math.abs(accuracy - best.accuracy) <= 1e-9 && loss < best.loss)
        ) {
          best = point;
          chosenThetas = thetas;
          chosenIterations = fitIterations;
          sinceBest = 0;
        } else if (++sinceBest >= 3) break;
      }
      chosen = best!.l2;
      chosenScore = best!.accuracy;
    }
    for (const split of splits) split.held.dispose();
    const all = selection === 'validation' ? splits[0]!.train : softmaxProblem(x, d, labels, k, weights);
    try {
      throwIfAborted();
      // warm start: the folds' mean solution at the chosen strength (on the validation set's
      // path: that solution itself, solved further to the final tolerance)
      const start = new Float64Array(size);
      for (const t of chosenThetas) for (let i = 0; i < size; i++) start[i]! += t[i]! / chosenThetas.length;
      const fit = await minimizeLbfgs(softmaxObjective(all, chosen), start, {
        maxIterations: options.maxIterations ?? 1000,
        gradientTolerance: options.gradientTolerance ?? 1e-5,
      });
      const finalTheta = fit.x;
      const iterations = (selection === 'validation' ? chosenIterations : 0) + fit.iterations;
      totalIterations += fit.iterations;
      const converged = fit.reason !== 'iterations';
      const trainScore = await softmaxScore(all, finalTheta);
      await options.onStep?.({ step: ++step, steps, l2: chosen, fold: -1, accuracy: trainScore.accuracy });
      const { kernel, bias } = foldStandardisation(finalTheta, mean, std, k);
      return {
        kernel,
        bias,
        l2: chosen,
        selection,
        folds: selection === 'cross-validation' ? folds : 0,
        heldOutFolds: selection === 'cross-validation' ? fitted : 0,
        score: chosenScore,
        path,
        trainLoss: trainScore.loss,
        trainAccuracy: trainScore.accuracy,
        iterations,
        totalIterations,
        converged,
        mean,
        std,
        solution: finalTheta,
      };
    } finally {
      all.dispose();
    }
  } finally {
    for (const split of splits) {
      split.train.dispose();
      split.held.dispose();
    }
  }
}

/**
 * `((x − μ) / σ) W + b = x (W / σ) + (b − Σⱼ μⱼ Wⱼ / σⱼ)`: the kernel and bias for raw features.
 */
export function foldStandardisation(
  theta: Float64Array,
  mean: Float32Array,
  std: Float32Array,
  k: number,
): { kernel: Float32Array; bias: Float32Array } {
  const d = mean.length;
  const kernel = new Float32Array(d * k);
  const bias = new Float64Array(k);
  for (let c = 0; c < k; c++) bias[c] = theta[d * k + c]!;
  for (let j = 0; j < d; j++) {
    for (let c = 0; c < k; c++) {
      const w = theta[j * k + c]! / std[j]!;
      kernel[j * k + c] = w;
      bias[c]! -= mean[j]! * w;
    }
  }
  return { kernel, bias: Float32Array.from(bias) };
}
