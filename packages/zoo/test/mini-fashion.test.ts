import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { env } from '../src/env.js';
import { loadBackbone } from '../src/node/load.js';
import { getModel, registerModel } from '../src/registry.js';
import { patternImages } from './helpers.js';

describe('resnet50-mini-fashion, the bundled demo backbone', () => {
  it('loads offline from the package, pinned by sha256, and is labelled as a demo', async () => {
    env.offline = true;
    env.cacheDir = mkdtempSync(join(tmpdir(), 'graft-mini-'));
    const spec = getModel('resnet50-mini-fashion');
    expect(spec.demo).toBe(true);
    expect(spec.title).toMatch(/demo/i);
    expect(spec.inputSize).toEqual([64, 64]);
    expect(spec.featureLayer).toBe('multiscale_features');
    const { model, weights } = await loadBackbone('resnet50-mini-fashion');
    expect(weights.source).toBe('fashion-a (bundled with @graft/zoo)');
    expect(model.getLayer('conv5_block3_out').outputShape).toEqual([null, 2, 2, 256]);
    expect(model.getLayer('multiscale_features').outputShape).toEqual([null, 2, 2, spec.featureSize]);
    const y = tfc.tidy(() => model.predict(patternImages(1, 64, 64)) as tfc.Tensor);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
    model.dispose();
    env.offline = undefined;
  });

  it('refuses a bundled folder whose weights are not the pinned ones', async () => {
    const spec = getModel('resnet50-mini-fashion');
    const bundled = spec.weights['fashion-a']!.bundled!;
    const copy = mkdtempSync(join(tmpdir(), 'graft-mini-copy-'));
    cpSync(fileURLToPath(bundled.location), copy, { recursive: true });
    const shard = join(copy, bundled.shards[0]!.path);
    const bytes = readFileSync(shard);
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(shard, bytes);
    registerModel({
      ...spec,
      id: 'mini-tampered',
      weights: {
        'fashion-a': { ...spec.weights['fashion-a']!, bundled: { ...bundled, location: `${copy}/` } },
      },
    });
    await expect(loadBackbone('mini-tampered')).rejects.toThrow(
      /has sha256 [0-9a-f]{64}, expected [0-9a-f]{64} \(corrupt\)/,
    );
  });
});
