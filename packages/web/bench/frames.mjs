#!/usr/bin/env node
// pnpm bench (web): the main thread's longest frame while <graft-trainer> trains in its worker, on
// webgl and wasm (Chromium, the bundled demo backbone, 20 stripe images per class), against the
// same training on the main thread. Frame times belong here, not in tests: a loaded CI machine
// starves the renderer whatever the page does. Written into BENCHMARKS.md (bench:web-frames).
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_FLAGS, writeBenchSection } from '@graft/test-support';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../scripts/demo-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const started = performance.now();
const server = await startDemoServer({ mounts: { '/test/': join(here, '..', 'test', 'fixtures') } });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
const rows = [];
for (const [backend, worker] of [
  ['webgl', 'on'],
  ['wasm', 'on'],
  ['wasm', 'off'],
]) {
  const page = await browser.newPage();
  await page.goto(`${server.url}/test/page.html`);
  await page.waitForFunction(() => 'graftTest' in window && customElements.get('graft-trainer'));
  const runs = await page.evaluate(
    async ({ backend, worker }) => {
      const t = window.graftTest;
      const trainer = await t.mount({
        'model-url': '/models/backbone/',
        backend,
        worker,
        classes: 'horizontal,vertical',
      });
      await trainer.ready;
      await t.addStripes(trainer, 20);
      const fineTune = await t.duringFrames(() =>
        trainer.train({ strategy: 'fine-tune', epochs: 3, augment: true }),
      );
      const head = await t.duringFrames(() => trainer.train({ epochs: 30, augment: true }));
      return [fineTune, head].map((r) => ({ frames: r.frames, longest: r.longest, over50: r.gaps.length }));
    },
    { backend, worker },
  );
  await page.close();
  const names = ['fine-tune conv5, 3 epochs', 'head, 30 augmented epochs'];
  runs.forEach((r, i) => {
    rows.push(
      `| ${backend}, ${worker === 'on' ? 'worker' : 'main thread'} | ${names[i]} | ${r.longest.toFixed(0)} ms | ${r.over50} of ${r.frames} |`,
    );
    console.error(
      `  ${backend} ${worker}: ${names[i]}: longest ${r.longest.toFixed(1)} ms, ${r.over50} frames over 50 ms of ${r.frames}`,
    );
  });
}
await browser.close();
await server.close();
writeBenchSection('web-frames', 'Main-thread frames while the widget trains (web)', [
  `Command: \`pnpm bench\` (packages/web/bench/frames.mjs). ${new Date().toISOString().slice(0, 10)}; ${cpus()[0].model}, ${cpus().length} threads; Debian Chromium headless (WebGL on its software rasteriser). The bundled demo backbone, 20 images per class; the longest gap between animation frames and how many gaps exceeded 50 ms. Whole bench: ${((performance.now() - started) / 60000).toFixed(1)} min.`,
  '',
  '| engine | training | longest frame | frames over 50 ms |',
  '| --- | --- | ---: | ---: |',
  ...rows,
]);
