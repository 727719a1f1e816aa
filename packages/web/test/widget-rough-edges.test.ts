import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  built,
  haveChromium,
  here,
  launchChromium,
  openTestPage,
  type Server,
  startDemoServer,
  type TrainerHandle,
} from './helpers.js';

type Trainer = TrainerHandle & {
  addExamples(label: string, images: unknown[]): Promise<number>;
  addExample(label: string, image: unknown): Promise<number>;
};

describe.skipIf(!haveChromium || !built)(
  '<graft-trainer>: what a Teachable Machine user hits (issue 16)',
  () => {
    let server: Server;
    let browser: Browser;
    let context: BrowserContext;
    const sink = { consoleErrors: [] as string[], violations: [] as string[] };

    beforeAll(async () => {
      server = await startDemoServer({ mounts: { '/test/': join(here, 'fixtures') } });
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    const openPage = (): Promise<Page> => openTestPage(context, server.url, sink);

    it('adds the good files of a batch and reports the bad one; addExample and predict failures are graft-error events too', async () => {
      const page = await openPage();
      const result = await page.evaluate(async () => {
        const t = window.graftTest;
        const trainer = (await t.mount({
          'model-url': '/models/backbone/',
          backend: 'wasm',
        })) as unknown as Trainer;
        await trainer.ready;
        const events: string[] = [];
        document.addEventListener('graft-error', (e) => events.push((e as CustomEvent).detail.message));
        const text = new File(['not an image'], 'notes.txt', { type: 'text/plain' });
        const batch = await trainer
          .addExamples('Class 1', [t.makeImage('h', 1), text, t.makeImage('h', 2)])
          .then(
            () => 'resolved',
            (err: Error) => err.message,
          );
        const card = trainer.shadowRoot.querySelector('[aria-label="Class Class 1"]')!;
        const count = card.querySelector('.count')!.textContent;
        const single = await trainer.addExample('Class 2', text).then(
          () => 'resolved',
          (err: Error) => err.message,
        );
        const predicted = await trainer.predict(t.makeImage('v', 3)).then(
          () => 'resolved',
          (err: Error) => err.message,
        );
        const shown = trainer.shadowRoot.querySelector('[role="alert"], .error')?.textContent ?? '';
        return { batch, count, single, predicted, events, shown };
      });
      expect(result.count).toBe('2 images');
      expect(result.batch).toMatch(
        /^added 2, skipped 1: .*notes\.txt|^added 2, skipped 1: image 2 for 'Class 1'/,
      );
      expect(result.single).not.toBe('resolved');
      expect(result.predicted).not.toBe('resolved');
      // each failure reached the host page once, in the same words it rejected with
      expect(result.events).toEqual([result.batch, result.single, result.predicted]);
      expect(result.shown).toContain(result.predicted);
      await page.close();
    });

    it('shows overall progress (never going back at a new epoch) and epoch x/y', async () => {
      const page = await openPage();
      const seen = await page.evaluate(async () => {
        const t = window.graftTest;
        const trainer = await t.mountStripes(6);
        const bar = trainer.shadowRoot.querySelector(
          'progress[aria-label="Training progress"]',
        ) as HTMLProgressElement;
        const samples: { at: string; fraction: number }[] = [];
        const poll = setInterval(() => {
          samples.push({ at: bar.getAttribute('aria-valuetext') ?? '', fraction: bar.value / bar.max });
        }, 5);
        await trainer.train({ epochs: 3, strategy: 'fine-tune', batchSize: 4 }); // 3 batches an epoch
        clearInterval(poll);
        return { samples, final: bar.value / bar.max };
      });
      // within a phase the bar only grows: it spans the phase's epochs, not one epoch's batches
      const phaseOf = (at: string) => at.split(':')[0]!;
      const decreases = seen.samples.filter(
        (s, i) =>
          i > 0 &&
          phaseOf(s.at) === phaseOf(seen.samples[i - 1]!.at) &&
          s.fraction < seen.samples[i - 1]!.fraction - 1e-9,
      );
      expect(decreases).toEqual([]);
      expect(seen.final).toBe(1);
      const texts = [...new Set(seen.samples.map((s) => s.at))];
      expect(texts).toContain('head: epoch 1 of 1');
      expect(texts.some((t) => /^fine-tune: epoch [123] of 3$/.test(t))).toBe(true);
      await page.close();
    });

    it('renamed classes rename their remove buttons; file inputs stay out of the accessibility tree', async () => {
      const page = await openPage();
      await page.evaluate(async () => {
        await window.graftTest.mount({ 'model-url': '/models/backbone/', backend: 'wasm' });
      });
      const widget = page.locator('graft-trainer');
      const name = widget.getByRole('textbox', { name: 'Class name' }).first();
      await name.fill('Sandals');
      await name.press('Tab');
      await expect.poll(() => widget.getByRole('button', { name: 'Remove class Sandals' }).count()).toBe(1);
      const removeNames = await page.evaluate(() =>
        [
          ...(
            document.querySelector('graft-trainer') as unknown as TrainerHandle
          ).shadowRoot.querySelectorAll('button'),
        ]
          .map((b) => b.getAttribute('aria-label') ?? '')
          .filter((n) => n.startsWith('Remove class')),
      );
      expect(removeNames).toEqual(['Remove class Sandals', 'Remove class Class 2']);
      expect(await widget.getByRole('group', { name: 'Class Sandals' }).count()).toBe(1);
      expect(await widget.getByRole('button', { name: /choose file/i }).count()).toBe(0);
      await page.close();
    });

    it('hides the "drop or paste" hints on a touch phone', async () => {
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      const page = await openTestPage(phone, server.url, sink);
      const shown = await page.evaluate(async () => {
        const trainer = await window.graftTest.mount({ 'model-url': '/models/backbone/', backend: 'wasm' });
        const hints = [...trainer.shadowRoot.querySelectorAll('.hint')].filter((e) =>
          /drop or paste/.test(e.textContent ?? ''),
        );
        return {
          hints: hints.length,
          visible: hints.filter((e) => getComputedStyle(e).display !== 'none').length,
        };
      });
      expect(shown.hints).toBeGreaterThan(0);
      expect(shown.visible).toBe(0);
      await page.close();
      await phone.close();
    });

    it('after a model-url that 404s, loading a trained model works, and cards and classes follow the model', async () => {
      const page = await openPage();
      const result = await page.evaluate(async () => {
        const t = window.graftTest;
        const maker = await t.mountStripes(6);
        await maker.train({ epochs: 5 });
        const zip = await maker.export();
        const broken = await t.mount({ 'model-url': '/models/missing/', backend: 'wasm' });
        await broken.ready.catch(() => {});
        const shown = broken.shadowRoot.querySelector('[role="alert"], .error')?.textContent ?? '';
        const before = broken.classes;
        const loaded = await broken.load(zip);
        const cards = [...broken.shadowRoot.querySelectorAll('.class-card')].map((c) =>
          c.getAttribute('aria-label'),
        );
        const prediction = await broken.predict(t.makeImage('v', 9));
        return {
          shown,
          event: broken.errors[0],
          before,
          loaded: loaded.classes,
          classes: broken.classes,
          cards,
          label: prediction.label,
        };
      });
      expect(result.event).toMatch(/\/models\/missing\/.*404/); // the developer's detail, in the event
      expect(result.shown).toContain(
        'The model could not be loaded. Check your connection and reload the page',
      );
      expect(result.shown).not.toContain('404');
      expect(result.before).toEqual(['Class 1', 'Class 2']);
      expect(result.loaded).toEqual(['horizontal', 'vertical']);
      expect(result.classes).toEqual(['horizontal', 'vertical']);
      expect(result.cards).toEqual(['Class horizontal', 'Class vertical']);
      expect(result.label).toBe('vertical');
      await page.close();
    });

    it('draws loss on its own axis, mentions validation only when it is drawn, with readable ticks and ≥ 4.5:1 legend contrast', async () => {
      const page = await openPage();
      const result = await page.evaluate(async () => {
        const t = window.graftTest;
        const trainer = await t.mountStripes(6);
        const root = trainer.shadowRoot;
        const validationNote = () => {
          const legend = root.querySelector('.legend') as HTMLElement;
          return [...legend.querySelectorAll('span')].some(
            (s) => /validation/.test(s.textContent ?? '') && !s.hidden,
          );
        };
        await trainer.train({ epochs: 3 });
        const withoutValidation = validationNote();
        await trainer.train({ epochs: 3, validationSplit: 0.34 });
        const withValidation = validationNote();
        const rgb = (c: string) =>
          c
            .match(/\d+(\.\d+)?/g)!
            .slice(0, 3)
            .map(Number);
        const luminance = (c: string) => {
          const [r, g, b] = rgb(c).map((v) => {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
        };
        const background = (e: Element | null): string => {
          for (let n = e; n; n = n.parentElement ?? (n.getRootNode() as ShadowRoot).host ?? null) {
            const c = getComputedStyle(n).backgroundColor;
            if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
          }
          return 'rgb(255, 255, 255)';
        };
        const contrast = [...root.querySelectorAll('.legend span')].map((span) => {
          const [a, b] = [luminance(getComputedStyle(span).color), luminance(background(span))];
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        });
        const ticks = [...root.querySelectorAll('svg.chart .tick')].map((e) => getComputedStyle(e).fontSize);
        const lossAxis = [...root.querySelectorAll('svg.chart .loss-axis')].map((e) => e.textContent);
        return { withoutValidation, withValidation, contrast, ticks, lossAxis };
      });
      expect(result.withoutValidation).toBe(false);
      expect(result.withValidation).toBe(true);
      for (const c of result.contrast) expect(c).toBeGreaterThanOrEqual(4.5);
      for (const size of result.ticks) expect(Number.parseFloat(size)).toBeGreaterThanOrEqual(11);
      expect(result.lossAxis).toHaveLength(2);
      expect(Number(result.lossAxis[0])).toBeGreaterThan(0);
      await page.close();
    });

    it('Teachable Machine habits: "+N more" past 30 thumbnails, batch size in Advanced, the exported model’s code', async () => {
      const page = await openPage();
      const widget = page.locator('graft-trainer');
      await page.evaluate(async () => {
        await window.graftTest.mountStripes(33);
      });
      const card = widget.getByRole('group', { name: 'Class horizontal' });
      expect(await card.locator('.thumbs > *').count()).toBe(30);
      await expect.poll(() => card.getByText('+3 more').count()).toBe(1);
      expect(await widget.getByText('Use this model').isVisible()).toBe(false);
      await widget.getByText('Advanced').click();
      await widget.getByRole('spinbutton', { name: 'Batch size' }).fill('11');
      await widget.getByRole('spinbutton', { name: 'Epochs' }).fill('2');
      const batches = await page.evaluate(async () => {
        const trainer = document.querySelector('graft-trainer') as unknown as TrainerHandle;
        const seen = new Set<number>();
        document.addEventListener('graft-progress', (e) => {
          const d = (e as CustomEvent).detail;
          if (d.batches) seen.add(d.batches);
        });
        await trainer.train({ strategy: 'fine-tune' });
        return [...seen];
      });
      expect(batches).toContain(6); // 66 images in batches of 11, as the Advanced field says
      await widget.getByText('Use this model').click();
      await expect
        .poll(() => widget.getByText('npx @graft/cli predict graft-model/ photo.jpg').isVisible())
        .toBe(true);
      await page.close();
    });

    it('shows the accuracy of each class after training, on the held-out images when there are some', async () => {
      const page = await openPage();
      const result = await page.evaluate(async () => {
        const t = window.graftTest;
        const trainer = await t.mountStripes(9);
        const text = () => trainer.shadowRoot.querySelector('[aria-label="Accuracy per class"]')!.textContent;
        const held = (await trainer.train({ validationSplit: 0.34 })) as unknown as {
          perClass: { images: number }[];
        };
        const onHeldOut = text();
        await trainer.train({});
        return { onHeldOut, onTraining: text(), heldImages: held.perClass.map((c) => c.images) };
      });
      expect(result.onHeldOut).toMatch(
        /^Accuracy per class \(validation images\): horizontal \d+% of 3 · vertical \d+% of 3$/,
      );
      expect(result.heldImages).toEqual([3, 3]);
      expect(result.onTraining).toMatch(
        /^Accuracy per class \(training images\): horizontal \d+% of 9 · vertical \d+% of 9$/,
      );
      await page.close();
    });

    it('deletes one example from its thumbnail, by mouse or keyboard', async () => {
      const page = await openPage();
      await page.evaluate(async () => {
        await window.graftTest.mountStripes(3);
      });
      const widget = page.locator('graft-trainer');
      const card = widget.getByRole('group', { name: 'Class horizontal' });
      expect(await card.getByRole('listitem').count()).toBe(3);
      await card.getByRole('button', { name: 'Remove this example' }).nth(1).click();
      await expect.poll(() => card.getByText('2 images').count()).toBe(1);
      expect(await card.getByRole('listitem').count()).toBe(2);
      await card.getByRole('button', { name: 'Remove this example' }).first().focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => card.getByText('1 image', { exact: true }).count()).toBe(1);
      const summary = await page.evaluate(async () => {
        const trainer = document.querySelector('graft-trainer') as unknown as TrainerHandle;
        return (await trainer.train({})) as unknown as { examples: number };
      });
      expect(summary.examples).toBe(1 + 3); // what is left of horizontal, and vertical's three
      await page.close();
    });

    it('shows the webcam inside the card being recorded, and puts it back after', async () => {
      const page = await openPage();
      await page.evaluate(async () => {
        const trainer = await window.graftTest.mount({ 'model-url': '/models/backbone/', backend: 'wasm' });
        await trainer.ready;
      });
      const where = () =>
        page.evaluate(() => {
          const root = document.querySelector('graft-trainer')!.shadowRoot!;
          const video = root.querySelector('video')!;
          return {
            card: video.closest('.class-card')?.getAttribute('aria-label') ?? null,
            hidden: video.hidden,
          };
        });
      const record = page.locator('graft-trainer').getByRole('button', { name: 'Hold to record' }).nth(1);
      await record.hover();
      await page.mouse.down();
      await expect.poll(async () => (await where()).card, { timeout: 10_000 }).toBe('Class Class 2');
      expect((await where()).hidden).toBe(false);
      await page.waitForTimeout(600);
      await page.mouse.up();
      await expect.poll(async () => (await where()).card).toBe(null);
      await page.close();
    });

    it('reads worker-url when it starts (set after the import), and gives the real reason wasm runs one thread', async () => {
      const page = await openPage();
      const result = await page.evaluate(async () => {
        const t = window.graftTest;
        // the element is defined already: these attributes are set long after `import '@graft/web'`
        const elsewhere = await t.mount({
          'model-url': '/models/backbone/',
          backend: 'wasm',
          'worker-url': '/nowhere/worker.js',
        });
        const moved = { thread: elsewhere.engineInfo.thread, notes: elsewhere.engineInfo.notes };
        const normal = await t.mount({ 'model-url': '/models/backbone/', backend: 'wasm' });
        return {
          moved,
          isolated: crossOriginIsolated,
          notes: normal.engineInfo.notes,
          thread: normal.engineInfo.thread,
        };
      });
      expect(result.moved.thread).toBe('main');
      expect(result.moved.notes.join(' ')).toMatch(/a worker could not run wasm/);
      expect(result.thread).toBe('worker');
      // this page is cross-origin isolated; its CSP is what keeps wasm's threads from starting
      expect(result.isolated).toBe(true);
      expect(result.notes.join(' ')).toContain(
        'Content-Security-Policy does not let blob: workers load blob: scripts',
      );
      expect(result.notes.join(' ')).not.toContain('threads need cross-origin isolation');
      await page.close();
    });
  },
);
