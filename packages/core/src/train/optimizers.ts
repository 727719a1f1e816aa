import * as tfc from '@tensorflow/tfjs-core';

/** Optimizers Graft trains with. */
export type OptimizerName = 'adam' | 'sgd';

/** An optimizer whose learning rate can be set before each step (for schedules). */
export interface ScheduledOptimizer {
  readonly optimizer: tfc.Optimizer;
  setLearningRate(lr: number): void;
  dispose(): void;
}

/** Adam (Keras defaults) or SGD with Nesterov-free momentum 0.9. */
export function createOptimizer(name: OptimizerName, lr: number): ScheduledOptimizer {
  let optimizer: tfc.Optimizer;
  if (name === 'adam') optimizer = tfc.train.adam(lr, 0.9, 0.999, 1e-7);
  else if (name === 'sgd') optimizer = tfc.train.momentum(lr, 0.9);
  else throw new Error(`unknown optimizer '${String(name)}': use adam or sgd`);
  return {
    optimizer,
    // tfjs keeps the rate in a plain field read at every step; schedules set it there.
    setLearningRate(rate: number) {
      (optimizer as unknown as { learningRate: number }).learningRate = rate;
    },
    dispose() {
      optimizer.dispose();
    },
  };
}
