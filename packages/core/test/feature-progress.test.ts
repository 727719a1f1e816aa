import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, type TrainingCallbacks } from '../src/index.js';
import { colourImages, thinBackbone } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

describe('onFeatures: the backbone’s progress before the first epoch', () => {
  it('counts the images each split runs through the backbone, and is silent when all are cached', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'] });
    const events: string[] = [];
    const callbacks: TrainingCallbacks[] = [
      {
        onFeatures: ({ phase, split, done, total }) => void events.push(`${phase}:${split}:${done}/${total}`),
      },
    ];
    const data = colourImages(12, 1); // 36 images; a seeded 20% validation split
    const first = await clf.fit(data, { head: 'sgd', epochs: 1, validation: { split: 0.2 }, callbacks });
    const trainCount = first.data.train.length;
    const valCount = first.data.validation.length;
    expect(valCount).toBeGreaterThan(0);
    const trainEvents = events.filter((e) => e.includes(':train:'));
    expect(trainEvents.at(-1)).toBe(`feature-extraction:train:${trainCount}/${trainCount}`);
    expect(trainEvents.length).toBe(Math.ceil(trainCount / 16)); // one per backbone batch
    expect(events.filter((e) => e.includes(':validation:')).at(-1)).toBe(
      `feature-extraction:validation:${valCount}/${valCount}`,
    );
    events.length = 0;
    await clf.fit(data, { head: 'sgd', epochs: 1, validation: { split: 0.2 }, callbacks }); // all cached now
    expect(events).toEqual([]);
    clf.dispose();
  });
});
