import * as tfc from '@tensorflow/tfjs-core';

/** Optimizers Graft trains with. */
export type OptimizerName = 'adam' | 'sgd';

/** An optimizer whose learning rate can be set before each step (for schedules). */
export interface ScheduledOptimizer {
  readonly optimizer: tfc.Optimizer;
  setLearningRate(lr: number): void;
  /** The optimizer's slots (iterations, moments), copied out, for resuming. */
  getState(): Promise<SavedTensor[]>;
  /** Puts saved slots back (before the first step of a resumed run). */
  setState(state: SavedTensor[]): Promise<void>;
  dispose(): void;
}

/** A tensor copied out of the engine, with its name. */
export interface SavedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

const POWER_PREFIX = '__graft_adam_';

/** Adam's running beta powers (private fields of tfjs's AdamOptimizer); none for other optimizers. */
function adamPowers(optimizer: tfc.Optimizer): { accBeta1?: tfc.Variable; accBeta2?: tfc.Variable } {
  const o = optimizer as unknown as { accBeta1?: tfc.Variable; accBeta2?: tfc.Variable };
  return o.accBeta1 && o.accBeta2 ? { accBeta1: o.accBeta1, accBeta2: o.accBeta2 } : {};
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
    async getState() {
      const named = await optimizer.getWeights();
      const out: SavedTensor[] = [];
      for (const { name, tensor } of named) {
        out.push({ name, shape: [...tensor.shape], values: Float32Array.from(await tensor.data()) });
      }
      // Adam keeps beta1^t and beta2^t as running products; recomputing them with pow() on restore
      // (what tfjs's setWeights does) differs in the last bits, so they are saved as they are.
      for (const [key, variable] of Object.entries(adamPowers(optimizer))) {
        out.push({
          name: `${POWER_PREFIX}${key}`,
          shape: [],
          values: Float32Array.from(await variable.data()),
        });
      }
      return out;
    },
    async setState(state) {
      const slots = state.filter((s) => !s.name.startsWith(POWER_PREFIX));
      const named = slots.map((s) => ({ name: s.name, tensor: tfc.tensor(s.values, s.shape, 'float32') }));
      await optimizer.setWeights(named);
      tfc.dispose(named.map((n) => n.tensor)); // the optimizer made its own variables from them
      const powers = adamPowers(optimizer);
      for (const s of state) {
        const key = s.name.slice(POWER_PREFIX.length) as keyof typeof powers;
        if (s.name.startsWith(POWER_PREFIX) && powers[key]) powers[key].assign(tfc.scalar(s.values[0]!));
      }
    },
    dispose() {
      optimizer.dispose();
    },
  };
}
