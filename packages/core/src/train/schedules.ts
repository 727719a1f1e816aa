/** How the learning rate moves over a phase. */
export type Schedule = 'constant' | 'cosine' | 'one-cycle';

/**
 * The learning rate at `step` of `total` steps: constant; cosine decay to 0; or one-cycle
 * (Smith; fastai's `fit_one_cycle`): warm up over the first 25% from lr/25 to lr, then cosine down
 * to lr/25e4.
 */
export function learningRateAt(schedule: Schedule, lr: number, step: number, total: number): number {
  const t = total <= 1 ? 0 : Math.min(1, step / (total - 1));
  switch (schedule) {
    case 'constant':
      return lr;
    case 'cosine':
      return (lr * (1 + Math.cos(Math.PI * t))) / 2;
    case 'one-cycle': {
      const warm = 0.25;
      const start = lr / 25;
      const end = lr / 25e4;
      if (t < warm) return start + ((lr - start) * (1 - Math.cos((Math.PI * t) / warm))) / 2;
      const u = (t - warm) / (1 - warm);
      return end + ((lr - end) * (1 + Math.cos(Math.PI * u))) / 2;
    }
    default:
      throw new Error(`unknown schedule '${String(schedule)}': use constant, cosine or one-cycle`);
  }
}
