import { preprocess, preprocessPixels } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Learner } from '../classifier/learner.js';
import { toInputBatch, toInputPixels } from '../data/batch.js';
import type { Example } from '../data/dataset.js';
import { FrozenActivations, memoryActivationStore, planFrozenPrefix } from '../model/frozen-prefix.js';

/**
 * The frozen prefix's outputs for `examples`, computed once (on the accelerator when there is one)
 * and kept in memory or the learner's `activationStore`; null when caching does not apply or has
 * nowhere to go.
 */
export async function computeFrozenActivations(
  learner: Learner,
  freeze: number,
  examples: readonly Example[],
): Promise<FrozenActivations | null> {
  const { featureLayer, inputSize, preprocessing } = learner.info;
  const { backbone, services } = learner;
  const plan = planFrozenPrefix(backbone, freeze, featureLayer, inputSize);
  if (!plan || examples.length === 0) return null;
  const inMemory = plan.bytesPerExample * examples.length <= services.frozenActivationMemoryBytes;
  const createStore = inMemory ? memoryActivationStore : services.activationStore;
  if (!createStore) return null;
  const outputs = plan.boundary.map((l) => l.name);
  const runner = await learner.runner.runnerFor(outputs, 'nhwc');
  const prefix = runner
    ? null
    : tfl.model({
        inputs: backbone.inputs,
        outputs: plan.boundary.map((l) => l.output as tfl.SymbolicTensor),
      });
  const activations = await FrozenActivations.compute(
    plan,
    examples.length,
    createStore,
    async (start, count) => {
      const chunk = examples.slice(start, start + count);
      const names = chunk.map((e) => e.id);
      if (runner)
        return runner.run(preprocessPixels(toInputPixels(chunk, inputSize, names), preprocessing), count);
      const outs = tfc.tidy(() => {
        const y = prefix!.predict(preprocess(toInputBatch(chunk, inputSize, names), preprocessing));
        return Array.isArray(y) ? y : [y];
      });
      const values = (await Promise.all(outs.map((t) => t.data()))) as Float32Array[];
      tfc.dispose(outs);
      return values;
    },
  );
  learner.stats.frozenActivationStore = inMemory ? 'memory' : 'store';
  return activations;
}
