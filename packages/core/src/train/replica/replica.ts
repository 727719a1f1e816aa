import * as tfc from '@tensorflow/tfjs-core';
import type { Learner } from '../../classifier/learner.js';
import { freezeBackbone } from '../../model/freeze.js';
import { boundaryTensors, planFrozenPrefix, runSuffix } from '../../model/frozen-prefix.js';
import { ensureTrainingKernels } from '../kernels.js';
import { partGradients } from '../step.js';
import type { Replica, ReplicaSetup } from './types.js';

/**
 * A learner as a replica that computes parts of fine-tuning steps from frozen activations; it takes
 * the learner over (`dispose` frees it through `release`).
 */
export function replicaOf(
  learner: Learner,
  setup: Pick<ReplicaSetup, 'freeze' | 'trainableLayers'>,
  release: () => void,
): Replica {
  const { backbone, head, info } = learner;
  const mine = backbone.layers.slice(setup.freeze).map((l) => l.name);
  if (mine.join() !== setup.trainableLayers.join())
    throw new Error('the replica splits the backbone differently from the classifier it copies');
  ensureTrainingKernels();
  const { featureLayer, inputSize } = info;
  const frozen = freezeBackbone(backbone, setup.freeze, false, info.stageOf);
  const plan = planFrozenPrefix(backbone, setup.freeze, featureLayer, inputSize);
  if (!plan) throw new Error(`a replica needs frozen layers to start from (freeze ${setup.freeze})`);
  const variables = [...frozen.groups.flatMap((g) => g.variables), ...learner.headVariables()];
  return {
    step: async (part) => {
      const rows = Array.from({ length: part.labels.length }, (_, i) => i);
      const classWeights = part.classWeights ? tfc.tensor1d(part.classWeights) : null;
      const result = partGradients(
        (chosen) =>
          head.forward(
            tfc.mean(
              runSuffix(plan, featureLayer, boundaryTensors(plan, part.rows, chosen), false),
              [1, 2],
            ) as tfc.Tensor2D,
            part.dropoutSeed,
          ),
        rows,
        0,
        { labels: part.labels, classWeights, variables, classes: learner.classes.length },
        part.batch,
      );
      classWeights?.dispose();
      const grads = await Promise.all(
        variables.map(async (v) => {
          const g = result.grads[v.name];
          return g ? ((await g.data()) as Float32Array) : null;
        }),
      );
      const [sum, correct] = await Promise.all([result.sum.data(), result.correct.data()]);
      tfc.dispose([...Object.values(result.grads), result.sum, result.correct]);
      return { grads, sum: sum[0]!, correct: correct[0]! };
    },
    setWeights: (values) => {
      tfc.tidy(() => {
        for (const [i, v] of variables.entries()) v.assign(tfc.tensor(values[i]!, v.shape, 'float32'));
      });
    },
    dispose: () => {
      frozen.release();
      release();
    },
  };
}
