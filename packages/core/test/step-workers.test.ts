import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabeledImage } from '../src/data/dataset.js';
import { createClassifier } from '../src/index.js';
import { createStepWorkers as create } from '../src/node/step-workers.js';
import { thinBackbone } from './helpers.js';

/** Workers running the built worker script (a thread cannot run the TypeScript source). */
const createStepWorkers = (count: number) =>
  create(count, {
    backend: { name: 'wasm', module: import.meta.resolve('@tensorflow/tfjs-backend-wasm') },
    hint: 'no workers trains on one thread',
    script: new URL('../dist/node/step-worker.js', import.meta.url),
  });

function images(): LabeledImage[] {
  const colours: [string, number[]][] = [
    ['red', [220, 40, 40]],
    ['green', [40, 200, 60]],
    ['blue', [40, 60, 220]],
  ];
  return colours.flatMap(([label, rgb], c) =>
    Array.from({ length: 3 }, (_, k) => ({
      label,
      width: 32,
      height: 32,
      id: `${label}${k}`,
      pixels: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) =>
        Math.max(0, rgb[i % 3]! - ((i * (k + c + 3)) % 40)),
      ),
    })),
  );
}

beforeAll(async () => {
  await tfc.setBackend('wasm');
});

describe('createStepWorkers (fine-tuning on worker threads)', () => {
  it('trains exactly as micro-batches on one thread do, with the second part on a worker thread', async () => {
    const run = async (workers: number) => {
      const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
      const pool = workers > 0 ? createStepWorkers(workers) : null;
      clf.stepWorkers = pool;
      try {
        await clf.fineTune(images(), {
          headEpochs: 1,
          epochs: 2,
          batchSize: 9,
          seed: 4,
          ...(workers === 0 ? { microBatch: 5 } : {}),
        });
      } finally {
        await pool?.terminate();
      }
      const out = {
        stepWorkers: clf.stats.stepWorkers,
        weights: clf.model.weights.map((v) => v.read().dataSync().slice()),
      };
      clf.dispose();
      return out;
    };
    const threaded = await run(1);
    const single = await run(0);
    expect(threaded.stepWorkers).toBe(1);
    for (const [i, w] of threaded.weights.entries()) expect(w).toEqual(single.weights[i]);
  });

  it('names what went wrong in a worker', async () => {
    const pool = createStepWorkers(1);
    try {
      const part = { rows: [], labels: [0], dropoutSeed: 1, batch: 2, classWeights: null };
      await expect(pool.step(0, part)).rejects.toThrow('training worker 0 is not started');
      await expect(
        pool.start({ artifacts: { modelTopology: {} }, freeze: 1, trainableLayers: [] }),
      ).rejects.toThrow(/^a training worker failed: .*\(no workers trains on one thread\)$/s);
    } finally {
      await pool.terminate();
    }
  });
});
