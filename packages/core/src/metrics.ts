/** Precision, recall and F1 of one class. */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples of this class in the data. */
  support: number;
}

/** What `evaluate` returns. */
export interface EvaluationReport {
  examples: number;
  accuracy: number;
  /** Top-k accuracy for k = 1 … min(5, classes). */
  topK: Record<number, number>;
  /** Mean categorical cross-entropy. */
  loss: number;
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
  perClass: ClassMetrics[];
  /** Unweighted means over classes. */
  macro: { precision: number; recall: number; f1: number };
  labels: string[];
}

/**
 * Classification metrics from predicted probabilities (rows) and true class indices, as
 * scikit-learn computes them (a class never predicted has precision 0).
 */
export function classificationReport(
  probabilities: ArrayLike<number>[],
  truth: readonly number[],
  labels: readonly string[],
): EvaluationReport {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const maxK = Math.min(5, k);
  const topHits = new Array<number>(maxK + 1).fill(0);
  let lossSum = 0;
  probabilities.forEach((row, i) => {
    const t = truth[i]!;
    let best = 0;
    for (let c = 1; c < k; c++) if ((row[c] as number) > (row[best] as number)) best = c;
    confusion[t]![best]! += 1;
    const p = row[t] as number;
    let rank = 0; // how many classes score strictly higher than the true one
    for (let c = 0; c < k; c++) if ((row[c] as number) > p) rank++;
    for (let kk = rank + 1; kk <= maxK; kk++) topHits[kk]! += 1;
    lossSum += -Math.log(Math.max(p, 1e-7));
  });
  const n = truth.length;
  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const tp = confusion[c]![c]!;
    const predicted = confusion.reduce((s, row) => s + row[c]!, 0);
    const support = confusion[c]!.reduce((s, v) => s + v, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  const mean = (f: (m: ClassMetrics) => number) => perClass.reduce((s, m) => s + f(m), 0) / k;
  const topK: Record<number, number> = {};
  for (let kk = 1; kk <= maxK; kk++) topK[kk] = n === 0 ? 0 : topHits[kk]! / n;
  return {
    examples: n,
    accuracy: n === 0 ? 0 : confusion.reduce((s, row, i) => s + row[i]!, 0) / n,
    topK,
    loss: n === 0 ? 0 : lossSum / n,
    confusion,
    perClass,
    macro: { precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1) },
    labels: [...labels],
  };
}
