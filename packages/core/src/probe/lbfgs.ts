/** The objective and its gradient at `x` (the gradient written into `grad`). */
export type Objective = (x: Float64Array, grad: Float64Array) => Promise<number>;

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Pairs of past steps kept for the inverse-Hessian estimate. Default 10. */
  memory?: number;
  /** Most iterations. Default 500. */
  maxIterations?: number;
  /** Stop when the largest gradient entry is at most this. Default 1e-5. */
  gradientTolerance?: number;
  /** Stop when a step lowers the objective by at most this times max(1, |f|). Default 1e-10. */
  relativeTolerance?: number;
}

/** Where {@link minimizeLbfgs} stopped. */
export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  reason: 'gradient' | 'progress' | 'line-search' | 'iterations';
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * Limited-memory BFGS (Nocedal & Wright, algorithm 7.4) with a backtracking Armijo line search:
 * for smooth convex objectives such as L2-regularised softmax regression. Vectors are float64 in
 * JS; only the objective touches tensors, so the same solver runs on every tfjs backend.
 */
export async function minimizeLbfgs(
  objective: Objective,
  start: Float64Array,
  options: LbfgsOptions = {},
): Promise<LbfgsResult> {
  const m = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 500;
  const gtol = options.gradientTolerance ?? 1e-5;
  const ftol = options.relativeTolerance ?? 1e-10;
  const n = start.length;
  let x = Float64Array.from(start);
  let g = new Float64Array(n);
  let f = await objective(x, g);
  let evaluations = 1;
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const direction = new Float64Array(n);
  const xNext = new Float64Array(n);
  let gNext = new Float64Array(n);

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (maxAbs(g) <= gtol) return { x, value: f, iterations: iteration, evaluations, reason: 'gradient' };
    // two-loop recursion: direction = -H g
    for (let i = 0; i < n; i++) direction[i] = -g[i]!;
    for (let j = s.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(s[j]!, direction);
      const yj = y[j]!;
      for (let i = 0; i < n; i++) direction[i]! -= alpha[j]! * yj[i]!;
    }
    if (s.length > 0) {
      const last = s.length - 1;
      const gamma = dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!);
      for (let i = 0; i < n; i++) direction[i]! *= gamma;
    }
    for (let j = 0; j < s.length; j++) {
      const beta = rho[j]! * dot(y[j]!, direction);
      const sj = s[j]!;
      for (let i = 0; i < n; i++) direction[i]! += (alpha[j]! - beta) * sj[i]!;
    }
    let slope = dot(g, direction);
    if (slope >= 0) {
      // not a descent direction (rounding): restart from steepest descent
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i]!;
      slope = dot(g, direction);
    }
    // the first step has no curvature estimate: keep it short
    let step = s.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let fNext = Number.POSITIVE_INFINITY;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNext[i] = x[i]! + step * direction[i]!;
      fNext = await objective(xNext, gNext);
      evaluations++;
      if (Number.isFinite(fNext) && fNext <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) return { x, value: f, iterations: iteration, evaluations, reason: 'line-search' };
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNext[i]! - x[i]!;
      yk[i] = gNext[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const decrease = f - fNext;
    x = Float64Array.from(xNext);
    [g, gNext] = [gNext, g];
    f = fNext;
    if (decrease <= ftol * Math.max(1, Math.abs(f))) {
      return { x, value: f, iterations: iteration + 1, evaluations, reason: 'progress' };
    }
  }
  return { x, value: f, iterations: maxIterations, evaluations, reason: 'iterations' };
}
