import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Classifier, createClassifier, type FineTuneOptions, loadClassifier } from '../src/index.js';
import { decodeTrainingState, encodeTrainingState, type TrainingState } from '../src/train/state.js';
import { colourImages, memoryIO, thinBackbone } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

const classes = ['red', 'green', 'blue'];
const data = colourImages(4, 11);
const validation = colourImages(2, 12);

function weightsOf(clf: Classifier): Float32Array[] {
  return clf.model.weights.map((w) => w.read().dataSync().slice() as Float32Array);
}

/** Trains once without a break, and once broken after `stopAfter` epochs of `phase` and resumed in a new classifier. */
async function compare(
  method: 'fit' | 'fineTune',
  options: FineTuneOptions & Record<string, unknown>,
  stopAt: { phaseIndex: number; epoch: number },
) {
  const whole = createClassifier({ backbone: thinBackbone(), classes, seed: 3 });
  await (method === 'fit' ? whole.fit(data, options) : whole.fineTune(data, options));
  const expected = weightsOf(whole);
  whole.dispose();

  const first = createClassifier({ backbone: thinBackbone(), classes, seed: 3 });
  const controller = new AbortController();
  const io = memoryIO();
  let saved: TrainingState | undefined;
  let phaseIndex = -1;
  const callbacks = [
    { onTrainBegin: () => void phaseIndex++ },
    {
      onEpochEnd: async (log: { epoch: number }) => {
        if (phaseIndex === stopAt.phaseIndex && log.epoch === stopAt.epoch) {
          const state = await first.trainingState();
          const { json, data: bytes } = encodeTrainingState(state); // through the file format
          saved = decodeTrainingState(json, bytes);
          await first.save(io.save);
          controller.abort();
        }
      },
    },
  ];
  const interrupted = await (method === 'fit'
    ? first.fit(data, { ...options, callbacks, signal: controller.signal })
    : first.fineTune(data, { ...options, callbacks, signal: controller.signal }));
  expect(interrupted.stopReason).toBe('aborted');
  first.dispose();

  const second = await loadClassifier(io.load());
  await (method === 'fit'
    ? second.fit(data, { ...options, resume: saved })
    : second.fineTune(data, { ...options, resume: saved }));
  const got = weightsOf(second);
  const names = second.model.weights.map((w) => w.originalName);
  second.dispose();
  expect(got.length).toBe(expected.length);
  const differing = got
    .map((w, i) => (w.every((v, j) => v === expected[i]![j]) ? null : names[i]))
    .filter(Boolean);
  expect(differing).toEqual([]);
}

describe('resuming from a training state gives the same result as an uninterrupted run', () => {
  it('feature extraction', async () => {
    await compare(
      'fit',
      { head: 'sgd', epochs: 5, batchSize: 4, lr: 0.01, seed: 5, validation, schedule: 'cosine' },
      { phaseIndex: 0, epoch: 2 },
    );
  });

  it('fine-tuning with discriminative rates, interrupted in the second phase', async () => {
    await compare(
      'fineTune',
      { headEpochs: 2, epochs: 3, batchSize: 4, seed: 6, lrMult: 4, validation, freeze: 'conv4_block6_out' },
      { phaseIndex: 1, epoch: 1 },
    );
  });

  it('fine-tuning, interrupted in the head phase', async () => {
    await compare(
      'fineTune',
      { headEpochs: 3, epochs: 1, batchSize: 6, seed: 7, freeze: 150 },
      { phaseIndex: 0, epoch: 1 },
    );
  });

  it('refuses a state from the other method, and trainingState() outside training', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes, seed: 3 });
    const state = {
      format: 'graft-training-state',
      version: 1,
      method: 'fineTune',
      phase: 'head',
      phaseIndex: 0,
      epoch: 1,
      rng: 1,
      optimizers: [],
    } as TrainingState;
    await expect(clf.fit(data, { resume: state })).rejects.toThrow(
      'this training state was saved by fineTune; resume it with fineTune, not fit',
    );
    await expect(clf.trainingState()).rejects.toThrow('only available while fit or fineTune runs');
    clf.dispose();
  });
});
