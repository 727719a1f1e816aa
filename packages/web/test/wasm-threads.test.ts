import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  built,
  haveChromium,
  here,
  launchChromium,
  openTestPage,
  startDemoServer,
  WIDGET_CSP,
} from './helpers.js';

// Threaded wasm (the fast path on CPUs) on a cross-origin isolated page: with no CSP, and with a
// CSP that lets blob: workers load blob: scripts (the widget's CSP plus blob: in script-src).
describe.skipIf(!haveChromium || !built)('<graft-trainer> on threaded wasm', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [name, csp] of [
    ['no Content-Security-Policy', null],
    ['a CSP with blob: scripts', WIDGET_CSP.replace("script-src 'self'", "script-src 'self' blob:")],
  ] as const) {
    it(`starts its threads and trains with ${name}, with no page error`, async () => {
      const requested: string[] = [];
      const server = await startDemoServer({
        mounts: { '/test/': join(here, 'fixtures') },
        csp,
        onRequest: (r: { url: string }) => requested.push(r.url),
      });
      const context = await browser.newContext();
      const sink = { consoleErrors: [] as string[], violations: [] as string[] };
      try {
        const page = await openTestPage(context, server.url, sink);
        const result = await page.evaluate(async () => {
          const t = window.graftTest;
          const started = performance.now();
          const trainer = await t.mountStripes(6);
          const readyMs = performance.now() - started;
          // a refused or broken thread pool shows as a one-thread note (or as a ready that never settles)
          const threaded = !trainer.engineInfo.notes.some((n: string) => /one thread/.test(n));
          await trainer.train();
          const predictions = await t.predictStripes(trainer, 4);
          return {
            isolated: crossOriginIsolated,
            readyMs,
            engine: trainer.engineInfo,
            threaded,
            correct: predictions.filter((p) => p.label === p.expected).length,
          };
        });
        expect(result.isolated).toBe(true);
        expect(result.engine).toMatchObject({ backend: 'wasm', thread: 'worker' });
        expect(result.threaded, JSON.stringify(result.engine.notes)).toBe(true);
        expect(result.readyMs).toBeLessThan(20_000);
        expect(result.correct).toBeGreaterThanOrEqual(7);
        // without a CSP the browser asks for /favicon.ico, which the server does not have
        expect(requested).toContain('/favicon.ico');
        const errors = sink.consoleErrors.filter((e) => !/status of 404/.test(e));
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await server.close();
      }
    }, 120_000);
  }
});
