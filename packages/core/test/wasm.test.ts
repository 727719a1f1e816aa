import '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../src/index.js';
import { colourImages, thinBackbone } from './helpers.js';

beforeAll(async () => {
  expect(await tfc.setBackend('wasm')).toBe(true);
});

describe('feature extraction on the wasm backend', () => {
  it('learns the colour task and leaks nothing', async () => {
    expect(tfc.getBackend()).toBe('wasm');
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
    await clf.fit(colourImages(2, 3), { epochs: 1 });
    const start = tfc.memory().numTensors;
    await clf.fit(colourImages(12, 1), { epochs: 30, batchSize: 12, lr: 0.01, seed: 3 });
    expect((await clf.evaluate(colourImages(8, 2))).accuracy).toBeGreaterThanOrEqual(0.95);
    expect(tfc.memory().numTensors).toBe(start);
    clf.dispose();
  });
});
