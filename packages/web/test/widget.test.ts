import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  built,
  type CliPrediction,
  cliExportedModel,
  fashionB,
  fashionImages,
  haveChromium,
  here,
  launchChromium,
  openTestPage,
  recordRequests,
  type Server,
  screenshot,
  startDemoServer,
  type TrainerHandle,
} from './helpers.js';

if (!built && process.env.CI) throw new Error('@graft/web is not built: turbo builds it before its tests');

describe.skipIf(!haveChromium || !built)('<graft-trainer> in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let requests: string[];
  let cli: ReturnType<typeof cliExportedModel>;
  const consoleErrors: string[] = [];
  const violations: string[] = [];

  beforeAll(async () => {
    cli = cliExportedModel();
    server = await startDemoServer({
      mounts: {
        '/test/': join(here, 'fixtures'),
        '/models/trained/': cli.modelDir,
        '/images/': join(fashionB, 'test'),
        '/train-images/': join(fashionB, 'train'),
      },
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    requests = recordRequests(context);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  function openPage(): Promise<Page> {
    return openTestPage(context, server.url, { consoleErrors, violations });
  }

  for (const backend of ['webgpu', 'webgl', 'wasm'] as const) {
    it(`trains two classes from generated images and predicts them right on ${backend}, in a worker`, async () => {
      const page = await openPage();
      const result = await page.evaluate(async (b) => {
        const t = window.graftTest;
        const trainer = await t.mount({
          'model-url': '/models/backbone/',
          backend: b,
          classes: 'horizontal,vertical',
        });
        await trainer.ready;
        await t.addStripes(trainer, 8);
        const summary = await trainer.train({ epochs: 50 });
        const predictions = await t.predictStripes(trainer, 4);
        const before = (await trainer.memory()).numTensors;
        await t.predictStripes(trainer, 2);
        const after = (await trainer.memory()).numTensors;
        return { info: trainer.engineInfo, summary, predictions, before, after, errors: trainer.errors };
      }, backend);
      await screenshot(page, `trained-${backend}`);
      expect(result.errors).toEqual([]);
      expect(result.info.backend).toBe(backend);
      expect(result.info.thread).toBe('worker');
      expect(result.summary.stopReason).toBe('completed');
      expect(result.summary.final!.accuracy).toBeGreaterThanOrEqual(0.9);
      for (const p of result.predictions) expect(p.label).toBe(p.expected);
      expect(result.after).toBe(result.before); // prediction leaks no tensors
      await page.close();
    });
  }

  it('keeps the page responsive while it trains in the worker (requestAnimationFrame keeps ticking)', async () => {
    const page = await openPage();
    const result = await page.evaluate(async () => {
      const t = window.graftTest;
      const out: Record<string, { frames: number; longest: number; seconds: number; thread: string }> = {};
      // the same training in the worker, then on the main thread (worker="off") as the contrast
      for (const worker of ['on', 'off']) {
        const trainer = await t.mount({
          'model-url': '/models/backbone/',
          backend: 'wasm',
          classes: 'horizontal,vertical',
          worker,
        });
        await t.addStripes(trainer, 20);
        const started = performance.now();
        const run = await t.duringFrames(() =>
          trainer.train({ strategy: 'fine-tune', epochs: 3, augment: true }),
        );
        const seconds = (performance.now() - started) / 1000;
        out[worker] = {
          frames: run.frames,
          longest: run.longest,
          seconds,
          thread: trainer.engineInfo.thread,
        };
      }
      return out;
    });
    const { on, off } = result as Record<
      'on' | 'off',
      { frames: number; longest: number; seconds: number; thread: string }
    >;
    expect(on.thread).toBe('worker');
    expect(off.thread).toBe('main');
    expect(on.seconds).toBeGreaterThan(0.5); // long enough for frames to mean something
    // ~60 frames a second in headless Chromium while the worker trains...
    expect(on.frames).toBeGreaterThan(on.seconds * 20);
    expect(on.longest).toBeLessThan(250);
    // ...where training on the main thread starves the page (it yields between batches, so some
    // frames get through, but far fewer than with the worker)
    expect(off.frames / off.seconds).toBeLessThan(on.frames / on.seconds / 2);
    await page.close();
  });

  it('exports a model, reloads it in a fresh widget (ZIP and IndexedDB) and predicts the same', async () => {
    const page = await openPage();
    const first = await page.evaluate(async () => {
      const t = window.graftTest;
      const trainer = await t.mount({
        'model-url': '/models/backbone/',
        backend: 'wasm',
        classes: 'horizontal,vertical',
      });
      await trainer.ready;
      await t.addStripes(trainer, 6);
      await trainer.train({ epochs: 30 });
      const predictions = await t.predictStripes(trainer, 3);
      const zip = await trainer.export();
      await trainer.saveToBrowser('stripes');
      // keep the archive for the second widget
      (window as unknown as { zip: Blob }).zip = zip;
      return { predictions, zipBytes: zip.size, type: zip.type };
    });
    expect(first.type).toBe('application/zip');
    expect(first.zipBytes).toBeGreaterThan(1_000_000);

    const reloaded = await page.evaluate(async () => {
      const t = window.graftTest;
      const trainer = await t.mount({ backend: 'wasm' }); // no backbone: only the exported model
      const loaded = await trainer.load((window as unknown as { zip: Blob }).zip);
      const predictions = await t.predictStripes(trainer, 3);
      return { classes: loaded.classes, predictions, errors: trainer.errors };
    });
    expect(reloaded.errors).toEqual([]);
    expect(reloaded.classes).toEqual(['horizontal', 'vertical']);
    for (const [i, p] of reloaded.predictions.entries()) {
      expect(p.label).toBe(first.predictions[i]!.label);
      for (const [j, v] of p.probabilities.entries())
        expect(v).toBeCloseTo(first.predictions[i]!.probabilities[j]!, 5);
    }

    // IndexedDB survives a page load
    await page.reload();
    await page.waitForFunction(() => 'graftTest' in window);
    const fromDb = await page.evaluate(async () => {
      const t = window.graftTest;
      const trainer = await t.mount({ backend: 'wasm' });
      const loaded = await trainer.loadFromBrowser('stripes');
      const missing = await trainer.loadFromBrowser('nothing-here').catch((e: Error) => e.message);
      return { classes: loaded.classes, predictions: await t.predictStripes(trainer, 3), missing };
    });
    expect(fromDb.classes).toEqual(['horizontal', 'vertical']);
    expect(fromDb.missing).toContain("no model named 'nothing-here'");
    for (const [i, p] of fromDb.predictions.entries())
      for (const [j, v] of p.probabilities.entries())
        expect(v).toBeCloseTo(first.predictions[i]!.probabilities[j]!, 5);
    await screenshot(page, 'reloaded-from-indexeddb');
    await page.close();
  });

  it('loads a model made by `graft train` + `graft export` and predicts as `graft predict` does', async () => {
    const classes = readdirSync(join(fashionB, 'test'));
    const files = classes.map((c) => fashionImages('test', c)[0]!);
    const expected: CliPrediction[] = cli.predict(files.map((f) => join(fashionB, 'test', f)));
    const page = await openPage();
    const got = await page.evaluate(async (paths) => {
      const t = window.graftTest;
      const trainer = await t.mount({ backend: 'wasm' });
      const loaded = await trainer.load('/models/trained/');
      const out = [];
      for (const path of paths) {
        const p = await trainer.predict(`/images/${path}`);
        out.push({ label: p.label, probabilities: p.probabilities });
      }
      return { classes: loaded.classes, out, errors: trainer.errors };
    }, files);
    expect(got.errors).toEqual([]);
    for (const [i, p] of got.out.entries()) {
      const cliTop = expected[i]!;
      expect(p.label).toBe(cliTop.label);
      for (const { label, probability } of cliTop.top)
        expect(p.probabilities[got.classes.indexOf(label)]).toBeCloseTo(probability, 4);
    }
    await screenshot(page, 'cli-model-loaded');
    await page.close();
  });

  it('auto passes over a software (fallback) WebGPU adapter, and says why', async () => {
    const page = await openPage();
    const got = await page.evaluate(async () => {
      const adapter = await (
        navigator as unknown as {
          gpu: {
            requestAdapter(): Promise<{
              info?: { isFallbackAdapter?: boolean };
              isFallbackAdapter?: boolean;
            }>;
          };
        }
      ).gpu.requestAdapter();
      const trainer = await window.graftTest.mount({ 'model-url': '/models/backbone/', backend: 'auto' });
      await trainer.ready;
      return {
        fallback: adapter?.info?.isFallbackAdapter ?? adapter?.isFallbackAdapter ?? null,
        info: trainer.engineInfo,
      };
    });
    // Debian's Chromium here has only SwiftShader's WebGPU adapter, which says it is a fallback
    expect(got.fallback).toBe(true);
    expect(got.info.backend).not.toBe('webgpu');
    expect(got.info.notes.join(' ')).toContain('webgpu: only a software (fallback) adapter');
    await page.close();
  });

  it('learns sandal, sneaker and bag from 20 images each with its defaults: ≥ 90% on the 180 test images', async () => {
    const classes = ['sandal', 'sneaker', 'bag'];
    const train = Object.fromEntries(classes.map((c) => [c, fashionImages('train', c).slice(0, 20)]));
    const test = classes.flatMap((c) => fashionImages('test', c));
    const page = await openPage();
    const got = await page.evaluate(
      async ({ classes, train, test }) => {
        const trainer = await window.graftTest.mount({
          'model-url': '/models/backbone/',
          backend: 'wasm',
          classes: classes.join(','),
        });
        await trainer.ready;
        for (const c of classes)
          await (trainer as unknown as { addExamples(l: string, i: string[]): Promise<number> }).addExamples(
            c,
            train[c]!.map((f) => `/train-images/${f}`),
          );
        const trained = await trainer.train();
        let correct = 0;
        for (const f of test)
          if ((await trainer.predict(`/images/${f}`)).label === f.split('/')[0]) correct++;
        return { accuracy: correct / test.length, trained, errors: trainer.errors };
      },
      { classes, train, test },
    );
    expect(got.errors).toEqual([]);
    expect(got.trained.stopReason).toBe('completed');
    expect(got.accuracy).toBeGreaterThanOrEqual(0.9);
    await screenshot(page, 'fashion-three-classes');
    await page.close();
  });

  it('records examples from the webcam while the button is held, then predicts live', async () => {
    const page = await openPage();
    await page.evaluate(async () => {
      const trainer = await window.graftTest.mount({ 'model-url': '/models/backbone/', backend: 'webgl' });
      await trainer.ready;
    });
    const record = page.locator('graft-trainer').getByRole('button', { name: 'Hold to record' }).first();
    await record.hover();
    await page.mouse.down();
    await page.waitForTimeout(1500);
    await page.mouse.up();
    await page.waitForTimeout(300);
    const count = await page.evaluate(() => {
      const label = document.querySelector('graft-trainer')!.shadowRoot!.querySelector('.count')!
        .textContent!;
      return Number.parseInt(label, 10);
    });
    expect(count).toBeGreaterThanOrEqual(3);
    await screenshot(page, 'webcam-recorded');
    const live = await page.evaluate(async () => {
      const t = window.graftTest;
      const trainer = document.querySelector('graft-trainer') as unknown as TrainerHandle & {
        startLivePrediction(): Promise<void>;
        stopLivePrediction(): void;
      };
      for (let s = 0; s < 4; s++)
        await (trainer as unknown as { addExample(l: string, i: unknown): Promise<number> }).addExample(
          'Class 2',
          t.makeImage('h', s),
        );
      await trainer.train({ epochs: 5 });
      const seen: string[] = [];
      (trainer as unknown as HTMLElement).addEventListener('graft-prediction', (e) => {
        const detail = (e as CustomEvent).detail;
        if (detail.source === 'webcam') seen.push(detail.prediction.label);
      });
      trainer.startLivePrediction().catch(() => {});
      // the first frames compile WebGL shaders (software GL here): wait for two predictions
      for (let waited = 0; seen.length < 2 && waited < 30_000; waited += 100)
        await new Promise((r) => setTimeout(r, 100));
      trainer.stopLivePrediction();
      return { seen, errors: trainer.errors };
    });
    expect(live.errors).toEqual([]);
    expect(live.seen.length).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'webcam-live-prediction');
    await page.close();
  });

  it('takes examples dropped or pasted onto a class, and predicts a dropped image', async () => {
    const page = await openPage();
    const result = await page.evaluate(async () => {
      const t = window.graftTest;
      const trainer = await t.mount({
        'model-url': '/models/backbone/',
        backend: 'wasm',
        classes: 'horizontal,vertical',
      });
      await trainer.ready;
      const file = async (kind: 'h' | 'v', seed: number) => {
        const canvas = new OffscreenCanvas(48, 48);
        canvas.getContext('2d')!.putImageData(t.makeImage(kind, seed), 0, 0);
        return new File([await canvas.convertToBlob({ type: 'image/png' })], `${kind}${seed}.png`, {
          type: 'image/png',
        });
      };
      const transfer = (files: File[]) => {
        const dt = new DataTransfer();
        for (const f of files) dt.items.add(f);
        return dt;
      };
      const root = trainer.shadowRoot;
      const [hCard, vCard] = [...root.querySelectorAll('.class-card')] as HTMLElement[];
      const settle = async (check: () => boolean) => {
        for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
      };
      const count = (card: HTMLElement) => Number.parseInt(card.querySelector('.count')!.textContent!, 10);
      hCard!.dispatchEvent(
        new DragEvent('drop', {
          dataTransfer: transfer(await Promise.all([1, 2, 3, 4, 5].map((n) => file('h', n)))),
          bubbles: true,
          cancelable: true,
        }),
      );
      vCard!.dispatchEvent(
        new ClipboardEvent('paste', {
          clipboardData: transfer(await Promise.all([1, 2, 3, 4, 5].map((n) => file('v', n)))),
          bubbles: true,
          cancelable: true,
        }),
      );
      await settle(() => count(hCard!) === 5 && count(vCard!) === 5);
      const counts = [count(hCard!), count(vCard!)];
      await trainer.train({ epochs: 60 });
      const predicted: string[] = [];
      (trainer as unknown as HTMLElement).addEventListener('graft-prediction', (e) =>
        predicted.push((e as CustomEvent).detail.prediction.label),
      );
      root.querySelector('.drop')!.dispatchEvent(
        new DragEvent('drop', {
          dataTransfer: transfer([await file('v', 77)]),
          bubbles: true,
          cancelable: true,
        }),
      );
      await settle(() => predicted.length > 0);
      const bars = root.querySelector('.bar.best')!.textContent;
      return { counts, predicted, bars, errors: trainer.errors };
    });
    expect(result.errors).toEqual([]);
    expect(result.counts).toEqual([5, 5]);
    expect(result.predicted).toEqual(['vertical']);
    expect(result.bars).toMatch(/^vertical\d+%$/);
    await screenshot(page, 'dropped-and-pasted');
    await page.close();
  });

  it('says what went wrong: a model URL that 404s, a camera that is refused, a file that is not an image', async () => {
    const page = await openPage();
    const result = await page.evaluate(async () => {
      const t = window.graftTest;
      const broken = await t.mount({ 'model-url': '/models/missing/', backend: 'wasm' });
      const loadError = broken.errors[0];
      const trainer = await t.mount({ 'model-url': '/models/backbone/', backend: 'wasm' });
      await trainer.ready;
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' }));
      const camera = await (trainer as unknown as { startWebcam(): Promise<void> })
        .startWebcam()
        .catch((e: Error) => e.message);
      const notImage = await (trainer as unknown as { addExample(l: string, i: unknown): Promise<number> })
        .addExample('horizontal', new File([new Uint8Array([1, 2, 3])], 'notes.png', { type: 'image/png' }))
        .catch((e: Error) => e.message);
      const untrained = await trainer.export().catch((e: Error) => e.message);
      const api = trainer as unknown as { renameClass(from: string, to: string): Promise<void> };
      const duplicate = await api.renameClass('Class 1', 'Class 2').catch((e: Error) => e.message);
      const badName = await trainer.loadFromBrowser('my model/1').catch((e: Error) => e.message);
      const notZip = await trainer.load(new Blob([new Uint8Array(64)])).catch((e: Error) => e.message);
      const noModelJson = await trainer
        .load(new Blob([t.writeZip({ 'notes.txt': new Uint8Array([1]) })]))
        .catch((e: Error) => e.message);
      const badBackend = await t.mount({ backend: 'gpu' });
      return {
        loadError,
        camera,
        notImage,
        untrained,
        duplicate,
        badName,
        notZip,
        noModelJson,
        badBackend: badBackend.errors[0],
        events: trainer.errors,
      };
    });
    expect(result.loadError).toMatch(/\/models\/missing\/.*404/);
    expect(result.camera).toContain('camera permission was denied');
    expect(result.notImage).toContain('notes.png could not be decoded as an image');
    expect(result.untrained).toContain('no trained model yet');
    expect(result.duplicate).toBe("there is already a class named 'Class 2'");
    expect(result.badName).toContain("'my model/1' is not a usable model name");
    expect(result.notZip).toBe('the model archive is not a ZIP archive');
    expect(result.noModelJson).toBe(
      'the archive has no model.json: it is not a model exported by Graft or TF.js',
    );
    expect(result.badBackend).toBe('backend="gpu" is not one of auto, webgpu, webgl, wasm, cpu');
    expect(result.events).toContain(result.camera);
    await screenshot(page, 'errors');
    await page.close();
  });

  it('is keyboard accessible: add a class, rename it, every control has a name', async () => {
    const page = await openPage();
    await page.evaluate(async () => {
      await window.graftTest.mount({ 'model-url': '/models/backbone/', backend: 'wasm' });
    });
    const widget = page.locator('graft-trainer');
    await widget.getByRole('button', { name: '+ Add class' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('Cats');
    await page.keyboard.press('Tab');
    await page.waitForFunction(
      () => (document.querySelector('graft-trainer') as unknown as TrainerHandle).classes.includes('Cats'),
      null,
      { timeout: 5000 },
    );
    const state = await page.evaluate(() => {
      const el = document.querySelector('graft-trainer') as unknown as TrainerHandle;
      const controls = [...el.shadowRoot.querySelectorAll('button, input, select')] as HTMLElement[];
      const unnamed = controls
        .filter((c) => !(c as HTMLInputElement).type || (c as HTMLInputElement).type !== 'file')
        .filter(
          (c) => !c.hidden && !(c.getAttribute('aria-label') || c.textContent?.trim() || c.closest('label')),
        )
        .map((c) => c.outerHTML);
      return { classes: el.classes, unnamed };
    });
    expect(state.classes).toEqual(['Class 1', 'Class 2', 'Cats']);
    expect(state.unnamed).toEqual([]);
    await page.close();
  });

  it('made no request to any other origin and hit no Content-Security-Policy violation', async () => {
    const foreign = requests.filter(
      (u) => !u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:'),
    );
    expect(requests.length).toBeGreaterThan(20);
    expect(foreign).toEqual([]);
    expect(violations).toEqual([]);
    expect(consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
  });
});
