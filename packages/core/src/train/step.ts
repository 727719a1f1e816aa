import * as tfc from '@tensorflow/tfjs-core';
import type { ReplicaGradients } from './replica/types.js';

/** Probabilities of the batch positions `rows`, computed as part `part` of a step. */
export type PartProbabilities = (rows: number[], part: number) => tfc.Tensor2D;

/** What one step trains on: its labels (batch order), class weights, and the variables to update. */
export interface StepTarget {
  labels: number[];
  /** Per-class loss weights, or null. */
  classWeights: tfc.Tensor1D | null;
  variables: tfc.Variable[];
  /** Number of classes. */
  classes: number;
}

/** Parts of a step computed by replicas: `run` part `part` (batch positions `rows`) on `worker`. */
export interface RemoteParts {
  workers: number;
  run(worker: number, part: number, rows: number[]): Promise<ReplicaGradients>;
}

/** Weighted cross-entropy (mean and sum) of probabilities against labels, and the correct count. */
export function lossAndCorrect(
  probs: tfc.Tensor2D,
  labels: tfc.Tensor1D,
  weights: tfc.Tensor1D | null,
  classes: number,
): { loss: tfc.Scalar; sum: tfc.Scalar; correct: tfc.Scalar } {
  const oneHot = tfc.oneHot(labels, classes);
  const perExample = tfc.neg(tfc.sum(tfc.mul(oneHot, tfc.log(tfc.clipByValue(probs, 1e-7, 1))), 1));
  const weighted = weights ? tfc.mul(perExample, tfc.gather(weights, labels)) : perExample;
  const correct = tfc.sum(tfc.cast(tfc.equal(tfc.argMax(probs, 1), labels), 'float32'));
  return {
    loss: tfc.mean(weighted) as tfc.Scalar,
    sum: tfc.sum(weighted) as tfc.Scalar,
    correct: correct as tfc.Scalar,
  };
}

/**
 * One optimiser step: forward, weighted loss, gradients of the target's variables, `apply`; the
 * batch's summed loss and correct count. With `microBatch` smaller than the batch, the batch runs
 * in parts whose gradients add up to the whole batch's (gradient accumulation): the same step in
 * less memory. Parts for `remote` replicas start first and run while this thread computes its own.
 */
export async function gradientStep(
  probabilities: PartProbabilities,
  target: StepTarget,
  apply: (grads: tfc.NamedTensorMap) => void,
  microBatch = Number.POSITIVE_INFINITY,
  remote?: RemoteParts,
): Promise<{ lossSum: number; correct: number }> {
  const n = target.labels.length;
  const parts: number[][] = [];
  const size = Math.max(1, Math.min(n, microBatch, remote ? Math.ceil(n / (remote.workers + 1)) : n));
  for (let start = 0; start < n; start += size)
    parts.push(Array.from({ length: Math.min(size, n - start) }, (_, i) => start + i));
  const elsewhere = parts.map((rows, part) =>
    remote && parts.length > 1 && part % (remote.workers + 1) !== 0
      ? remote.run((part % (remote.workers + 1)) - 1, part, rows)
      : null,
  );
  let accumulated: tfc.NamedTensorMap | null = null;
  const totals: tfc.Scalar[] = [];
  for (const [part, rows] of parts.entries()) {
    const done = elsewhere[part];
    const { grads, sum, correct } = done
      ? gradientsFromReplica(await done, target.variables)
      : partGradients(probabilities, rows, part, target, parts.length > 1 ? n : 0);
    totals.push(sum, correct);
    if (!accumulated) accumulated = grads;
    else {
      const previous: tfc.NamedTensorMap = accumulated;
      accumulated = tfc.tidy(() => {
        const out: tfc.NamedTensorMap = {};
        for (const [name, g] of Object.entries(grads))
          out[name] = previous[name] ? tfc.add(previous[name]!, g) : g;
        return out;
      });
      tfc.dispose([...Object.values(previous), ...Object.values(grads)]);
    }
  }
  tfc.tidy(() => apply(accumulated!));
  tfc.dispose(Object.values(accumulated!));
  const values = await Promise.all(totals.map((t) => t.data()));
  tfc.dispose(totals);
  let lossSum = 0;
  let correct = 0;
  for (let i = 0; i < values.length; i += 2) {
    lossSum += values[i]![0]!;
    correct += values[i + 1]![0]!;
  }
  return { lossSum, correct };
}

/**
 * One part of a step: the gradients of its loss (the batch mean's share, `sum / batch`, when the
 * step has several parts; the mean itself when `batch` is 0), its summed loss and correct count.
 * `rows` are batch positions; `target.labels` is indexed by them.
 */
export function partGradients(
  probabilities: PartProbabilities,
  rows: number[],
  part: number,
  target: StepTarget,
  batch: number,
): { grads: tfc.NamedTensorMap; sum: tfc.Scalar; correct: tfc.Scalar } {
  return tfc.tidy(() => {
    const y = tfc.tensor1d(
      rows.map((r) => target.labels[r]!),
      'int32',
    );
    let sum!: tfc.Scalar;
    let correct!: tfc.Scalar;
    const { grads } = tfc.variableGrads(() => {
      const r = lossAndCorrect(probabilities(rows, part), y, target.classWeights, target.classes);
      sum = tfc.keep(r.sum);
      correct = tfc.keep(r.correct);
      // each part's share of the whole batch's mean loss, so that the gradients add up to it
      return batch === 0 ? r.loss : (tfc.div(r.sum, batch) as tfc.Scalar);
    }, target.variables);
    return { grads, sum, correct };
  });
}

/** A replica's gradients as this thread's tensors, keyed by its variables' names. */
function gradientsFromReplica(
  result: ReplicaGradients,
  variables: tfc.Variable[],
): { grads: tfc.NamedTensorMap; sum: tfc.Scalar; correct: tfc.Scalar } {
  const grads: tfc.NamedTensorMap = {};
  for (const [i, v] of variables.entries()) {
    const values = result.grads[i];
    if (values) grads[v.name] = tfc.tensor(values, v.shape, 'float32');
  }
  return { grads, sum: tfc.scalar(result.sum, 'float32'), correct: tfc.scalar(result.correct, 'float32') };
}
