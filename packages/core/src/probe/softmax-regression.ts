import * as tfc from '@tensorflow/tfjs-core';
import type { Objective } from './lbfgs.js';

/**
 * Weighted multinomial logistic regression data on the current backend: features as rows and
 * transposed (the gradient's `Xᵀ G` then needs no transpose per step), one-hot labels and
 * per-example weights that sum to 1.
 */
export interface SoftmaxProblem {
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly x: tfc.Tensor2D;
  readonly xt: tfc.Tensor2D;
  readonly oneHot: tfc.Tensor2D;
  readonly weights: tfc.Tensor2D;
  dispose(): void;
}

/** Rows `rows` of the `d`-wide `features` (all rows when omitted) with their labels and weights. */
export function softmaxProblem(
  features: Float32Array,
  d: number,
  labels: ArrayLike<number>,
  k: number,
  sampleWeights: ArrayLike<number> | null,
  rows?: readonly number[],
): SoftmaxProblem {
  const take = rows ?? Array.from({ length: labels.length }, (_, i) => i);
  const n = take.length;
  const data = new Float32Array(n * d);
  const w = new Float32Array(n);
  const y = new Int32Array(n);
  let total = 0;
  take.forEach((row, i) => {
    data.set(features.subarray(row * d, (row + 1) * d), i * d);
    y[i] = labels[row]!;
    w[i] = sampleWeights ? sampleWeights[row]! : 1;
    total += w[i]!;
  });
  for (let i = 0; i < n; i++) w[i]! /= total;
  const x = tfc.tensor2d(data, [n, d]);
  const xt = tfc.tidy(() => tfc.transpose(x) as tfc.Tensor2D);
  const oneHot = tfc.tidy(() => tfc.cast(tfc.oneHot(tfc.tensor1d(y, 'int32'), k), 'float32') as tfc.Tensor2D);
  const weights = tfc.tensor2d(w, [n, 1]);
  return {
    n,
    d,
    k,
    x,
    xt,
    oneHot,
    weights,
    dispose: () => tfc.dispose([x, xt, oneHot, weights]),
  };
}

/** Splits a parameter vector (kernel `d×k` row-major, then bias `k`) into tensors. */
function parameters(theta: Float64Array, d: number, k: number): [tfc.Tensor2D, tfc.Tensor1D] {
  return [
    tfc.tensor2d(Float32Array.from(theta.subarray(0, d * k)), [d, k]),
    tfc.tensor1d(Float32Array.from(theta.subarray(d * k))),
  ];
}

/** Logits, their log-sum-exp and each example's cross-entropy (inside a tidy). */
function crossEntropy(problem: SoftmaxProblem, theta: Float64Array) {
  const [w, b] = parameters(theta, problem.d, problem.k);
  const logits = tfc.add(tfc.matMul(problem.x, w), b);
  const lse = tfc.logSumExp(logits, 1, true);
  const ce = tfc.sub(lse, tfc.sum(tfc.mul(logits, problem.oneHot), 1, true));
  return { logits, lse, ce };
}

/**
 * The L2-regularised weighted cross-entropy `Σᵢ wᵢ CEᵢ + l2/2 ‖W‖²` (the bias is not penalised) and
 * its gradient, for {@link minimizeLbfgs}. One read back from the backend per evaluation.
 */
export function softmaxObjective(problem: SoftmaxProblem, l2: number): Objective {
  const { d, k } = problem;
  return async (theta, grad) => {
    const packed = tfc.tidy(() => {
      const { logits, lse, ce } = crossEntropy(problem, theta);
      const loss = tfc.sum(tfc.mul(ce, problem.weights));
      const residual = tfc.mul(tfc.sub(tfc.exp(tfc.sub(logits, lse)), problem.oneHot), problem.weights);
      return tfc.concat([
        tfc.reshape(tfc.matMul(problem.xt, residual), [-1]),
        tfc.sum(residual, 0),
        tfc.reshape(loss, [1]),
      ]);
    });
    const values = (await packed.data()) as Float32Array;
    packed.dispose();
    let penalty = 0;
    for (let i = 0; i < d * k; i++) {
      const wi = theta[i]!;
      penalty += wi * wi;
      grad[i] = values[i]! + l2 * wi;
    }
    for (let i = d * k; i < d * k + k; i++) grad[i] = values[i]!;
    return values[d * k + k]! + 0.5 * l2 * penalty;
  };
}

/** Weighted accuracy and mean cross-entropy of parameters `theta` on a problem. */
export async function softmaxScore(
  problem: SoftmaxProblem,
  theta: Float64Array,
): Promise<{ accuracy: number; loss: number }> {
  const packed = tfc.tidy(() => {
    const { logits, ce } = crossEntropy(problem, theta);
    const hit = tfc.reshape(
      tfc.cast(tfc.equal(tfc.argMax(logits, 1), tfc.argMax(problem.oneHot, 1)), 'float32'),
      [-1, 1],
    );
    return tfc.stack([tfc.sum(tfc.mul(hit, problem.weights)), tfc.sum(tfc.mul(ce, problem.weights))]);
  });
  const [accuracy, loss] = (await packed.data()) as Float32Array;
  packed.dispose();
  return { accuracy: accuracy!, loss: loss! };
}
