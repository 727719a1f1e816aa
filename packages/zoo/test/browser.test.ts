import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from '@graft/test-support';
import * as tfc from '@tensorflow/tfjs-core';
import { type Browser, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResNet50 } from '../src/architectures/resnet50.js';
import { env } from '../src/env.js';
import { exportBackbone } from '../src/node/export.js';
import { getModel, registerModel } from '../src/registry.js';
import { fixture } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** What test/browser/entry.ts puts on the page. */
interface GraftTestPage {
  graftTest: {
    features(modelUrl: string): Promise<{ source: string; values: number[]; leaked: number }>;
    corruptCachedShard(url: string): Promise<number>;
  };
}

describe.skipIf(!haveChromium)('loadBackbone in a browser (Cache Storage, sha256)', () => {
  let server: Server;
  let url: string;
  let browser: Browser;
  let modelDir: string;
  let bundle: string;
  let modelRequests = 0;
  let modelOnline = true;

  beforeAll(async () => {
    env.cacheDir = mkdtempSync(join(tmpdir(), 'graft-browser-'));
    registerModel({
      ...getModel('resnet50'),
      id: 'test-w64',
      build: (o) => buildResNet50({ ...o, widthDivisor: 64 }),
      featureSize: 32,
    });
    modelDir = join(env.cacheDir, 'export');
    await exportBackbone('test-w64', modelDir, { weights: fixture('resnet50_w64_notop.h5') });
    const outDir = join(env.cacheDir, 'bundle');
    await build({
      configFile: false,
      logLevel: 'silent',
      resolve: { conditions: ['browser'] },
      build: {
        outDir,
        lib: { entry: join(here, 'browser', 'entry.ts'), formats: ['es'], fileName: 'page' },
        minify: false,
      },
    });
    bundle = readFileSync(join(outDir, 'page.js'), 'utf8');
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      const headers = {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      };
      if (path === '/')
        return res
          .writeHead(200, { ...headers, 'Content-Type': 'text/html' })
          .end('<script type="module" src="/page.js"></script>');
      if (path === '/page.js')
        return res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(bundle);
      if (path.startsWith('/model/')) {
        modelRequests++;
        const file = join(modelDir, path.slice('/model/'.length));
        if (!modelOnline || !existsSync(file)) return res.writeHead(404, headers).end();
        return res.writeHead(200, headers).end(readFileSync(file));
      }
      res.writeHead(404, headers).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_FLAGS],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('loads a served export, gives the Node numbers, then works offline from Cache Storage and heals a damaged copy', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => document.title === 'ready');
    const run = () =>
      page.evaluate((u) => (globalThis as unknown as GraftTestPage).graftTest.features(u), `${url}/model/`);

    const first = await run();
    await tfc.setBackend('cpu');
    const { loadBackbone } = await import('../src/node/load.js');
    const node = await loadBackbone('test-w64', { modelUrl: modelDir });
    const x = tfc.tidy(() => tfc.mul(tfc.ones([1, 48, 48, 3]), 100));
    const expected = Array.from((node.model.predict(x) as tfc.Tensor).dataSync());
    node.model.dispose();
    expect(first.values).toHaveLength(expected.length);
    for (const [i, v] of first.values.entries()) expect(v).toBeCloseTo(expected[i]!, 4);
    expect(first.leaked).toBe(0);
    const requestsAfterFirst = modelRequests;

    modelOnline = false; // the host is gone: the cached copy must do
    const offline = await run();
    expect(offline.values).toEqual(first.values);
    expect(modelRequests).toBe(requestsAfterFirst); // nothing fetched: served from Cache Storage

    modelOnline = true;
    const damaged = await page.evaluate(
      (u) => (globalThis as unknown as GraftTestPage).graftTest.corruptCachedShard(u),
      `${url}/model/`,
    );
    expect(damaged).toBe(1);
    const healed = await run();
    expect(healed.values).toEqual(first.values);
    expect(modelRequests).toBeGreaterThan(requestsAfterFirst); // evicted, fetched again, verified
    await page.close();
  });
});
