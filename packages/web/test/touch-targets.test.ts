import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifacts,
  built,
  haveChromium,
  here,
  launchChromium,
  openTestPage,
  type Server,
  startDemoServer,
} from './helpers.js';

describe.skipIf(!haveChromium || !built)('<graft-trainer> on a phone', () => {
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

  it('gives every control a touch target of at least 44 × 44 px at 390 × 844', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      hasTouch: true,
      isMobile: true,
    });
    const sink = { consoleErrors: [] as string[], violations: [] as string[] };
    try {
      const page = await openTestPage(context, server.url, sink);
      const small = await page.evaluate(async () => {
        const trainer = await window.graftTest.mountStripes(2);
        for (const d of trainer.shadowRoot.querySelectorAll('details')) (d as HTMLDetailsElement).open = true;
        const controls = trainer.shadowRoot.querySelectorAll(
          'button, select, input, summary, .file-button, a[href]',
        );
        const out: string[] = [];
        for (const el of controls) {
          const box = el.getBoundingClientRect();
          // not a target: hidden, or a file input reached through its button
          if ((box.width === 0 && box.height === 0) || el.classList.contains('visually-hidden')) continue;
          if (box.height < 44 || box.width < 44)
            out.push(
              `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`,
            );
        }
        return { out, total: controls.length };
      });
      // the viewport as the phone shows it (a full-page screenshot would lay the page out again)
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'phone-390x844.png') });
      expect(small.total).toBeGreaterThan(10);
      expect(small.out).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
