import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
    const files = Object.fromEntries(
      ['graft-backbone.json', 'model.json', 'group1-shard1of1.bin'].map((name) => [
        name,
        pathToFileURL(join(copy, name)).href,
      ]),
    );
    // read from the folder, and from per-file URLs (what a bundler's hashed names come as)
    for (const [id, tampered] of [
      ['mini-tampered', { ...bundled, location: `${copy}/`, files: undefined }],
      ['mini-tampered-files', { ...bundled, files }],
    ] as const) {
      registerModel({
        ...spec,
        id,
        weights: { 'fashion-a': { ...spec.weights['fashion-a']!, bundled: tampered } },
      });
      await expect(loadBackbone(id)).rejects.toThrow(
        /has sha256 [0-9a-f]{64}, expected [0-9a-f]{64} \(corrupt\)/,
      );
    }
  });

  it('with @graft/zoo/demo-assets imported, reads each file by the URL a bundler would emit', async () => {
    await import('../src/models/resnet50-mini-fashion-assets.js');
    const bundled = getModel('resnet50-mini-fashion').weights['fashion-a']!.bundled!;
    expect(Object.keys(bundled.files!).sort()).toEqual([
      'graft-backbone.json',
      'group1-shard1of1.bin',
      'model.json',
    ]);
    const { model, weights } = await loadBackbone('resnet50-mini-fashion');
    expect(weights.id).toBe(bundled.shards[0]!.sha256);
    model.dispose();
  });

  it('names a web page served in place of the files (a bundler that did not emit them) and says what to do', async () => {
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><p>app'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/node_modules/@graft/zoo/assets/`;
    const spec = getModel('resnet50-mini-fashion');
    const bundled = { ...spec.weights['fashion-a']!.bundled!, location: base, files: undefined };
    registerModel({
      ...spec,
      id: 'mini-in-an-app',
      weights: { 'fashion-a': { ...spec.weights['fashion-a']!, bundled } },
    });
    await expect(loadBackbone('mini-in-an-app')).rejects.toThrow(
      `${base}/graft-backbone.json is a web page, not the file: nothing is served at that URL. In an app bundled with Vite or webpack, import '@graft/zoo/demo-assets'`,
    );
    server.close();
  });
});
