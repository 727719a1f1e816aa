import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, typed by use
import { startDemoServer } from '../scripts/demo-server.mjs';
import { haveChromium, here, launchChromium, openTestPage, packageRoot, type Server } from './helpers.js';

const built = existsSync(join(packageRoot, 'dist', 'graft-trainer.js'));

describe.skipIf(!haveChromium || !built)('<graft-trainer> training in its worker on webgl', () => {
  let browser: Browser;
  let server: Server;
  beforeAll(async () => {
    browser = await launchChromium();
    server = await startDemoServer({ mounts: { '/test/': join(here, 'fixtures') } });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('keeps every main-thread frame under 50 ms', async () => {
    const context = await browser.newContext();
    const sink = { consoleErrors: [] as string[], violations: [] as string[] };
    try {
      const page = await openTestPage(context, server.url, sink);
      const result = await page.evaluate(async () => {
        const t = window.graftTest;
        const trainer = await t.mount({
          'model-url': '/models/backbone/',
          backend: 'webgl',
          classes: 'horizontal,vertical',
        });
        await trainer.ready;
        await t.addStripes(trainer, 20);
        const fineTune = await t.duringFrames(() =>
          trainer.train({ strategy: 'fine-tune', epochs: 3, augment: true }),
        );
        await t.addStripes(trainer, 30, 100);
        const features = await t.duringFrames(() => trainer.train({ epochs: 30, augment: true }));
        return {
          engine: trainer.engineInfo,
          runs: [fineTune, features].map((r) => ({ frames: r.frames, longest: r.longest, gaps: r.gaps })),
        };
      });
      expect(result.engine).toMatchObject({ backend: 'webgl', thread: 'worker' });
      for (const run of result.runs) {
        expect(run.frames).toBeGreaterThan(20);
        expect(run.longest).toBeLessThan(50);
      }
    } finally {
      await context.close();
    }
  }, 300_000);
});
