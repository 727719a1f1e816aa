import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from '@graft/test-support';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

// @ts-expect-error: a plain .mjs script, typed by use
export { startDemoServer, WIDGET_CSP } from '../scripts/demo-server.mjs';
export { CHROMIUM, haveChromium };

export const here = dirname(fileURLToPath(import.meta.url));
export const packageRoot = join(here, '..');
export const repoRoot = join(packageRoot, '..', '..');
export const artifacts = join(packageRoot, 'test-artifacts');
/** Whether the widget is built (the browser tests load dist/). */
export const built = existsSync(join(packageRoot, 'dist', 'graft-trainer.js'));
/** The bundled Fashion-MNIST sample (`train/` and `test/`, a folder per class). */
export const fashionB = join(repoRoot, 'examples', 'fashion-b');

/** The images of one class of the Fashion-MNIST sample, sorted, as `label/file` paths. */
export function fashionImages(split: 'train' | 'test', label: string): string[] {
  return readdirSync(join(fashionB, split, label))
    .sort()
    .map((f) => `${label}/${f}`);
}

/** The demo server (scripts/demo-server.mjs) as the tests use it. */
export type Server = { url: string; close(): Promise<void> };
/** A `<graft-trainer>` as the page's helpers (fixtures/page.js) return it. */
export interface TrainerHandle {
  ready: Promise<void>;
  engineInfo: { backend: string; thread: string; notes: string[] };
  errors: string[];
  classes: string[];
  train(o?: object): Promise<{ final: { accuracy: number } | null; stopReason: string; epochs: number }>;
  predict(image: unknown): Promise<{ label: string; probabilities: number[] }>;
  export(): Promise<Blob>;
  load(source: unknown): Promise<{ classes: string[] }>;
  saveToBrowser(name?: string): Promise<void>;
  loadFromBrowser(name?: string): Promise<{ classes: string[] }>;
  memory(): Promise<{ numTensors: number }>;
  shadowRoot: ShadowRoot;
}
/** `window.graftTest`: the helpers fixtures/page.js gives the page. */
export interface PageHelpers {
  makeImage(kind: 'h' | 'v', seed: number): ImageData;
  mount(attributes: Record<string, string>): Promise<TrainerHandle>;
  addStripes(trainer: TrainerHandle, n: number, first?: number): Promise<void>;
  mountStripes(n: number): Promise<TrainerHandle>;
  predictStripes(
    trainer: TrainerHandle,
    n: number,
    first?: number,
  ): Promise<{ expected: string; label: string; probabilities: number[] }[]>;
  duringFrames<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; frames: number; longest: number; gaps: number[] }>;
  violations: string[];
  writeZip(files: Record<string, Uint8Array>): Uint8Array<ArrayBuffer>;
}
declare global {
  interface Window {
    graftTest: PageHelpers;
  }
}

/** The flags DEVELOPERS.md gives, plus WebGPU's software adapter and a fake camera. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...CHROMIUM_FLAGS,
      '--enable-unsafe-webgpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
}

/**
 * A new page on the test page (fixtures/page.html), once its helpers and the element are defined.
 * Console errors go to `sink.consoleErrors`; CSP violations to `sink.violations` when it closes.
 */
export async function openTestPage(
  context: BrowserContext,
  serverUrl: string,
  sink: { consoleErrors: string[]; violations: string[] },
): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('favicon')) sink.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => sink.consoleErrors.push(e.message));
  const close = page.close.bind(page);
  page.close = async (options) => {
    sink.violations.push(...(await page.evaluate(() => window.graftTest.violations).catch(() => [])));
    return close(options);
  };
  await page.goto(`${serverUrl}/test/page.html`);
  await page.waitForFunction(() => 'graftTest' in window && customElements.get('graft-trainer'));
  return page;
}

/** Saves a screenshot of the page under test-artifacts/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/**
 * Trains and exports a model with the real CLI, as a user would (`graft train` then `graft
 * export`), on the bundled Fashion-MNIST sample and the bundled demo backbone.
 */
export function cliExportedModel(): { modelDir: string; predict: (files: string[]) => CliPrediction[] } {
  const bin = join(repoRoot, 'packages', 'cli', 'dist', 'bin.js');
  const work = mkdtempSync(join(tmpdir(), 'graft-web-'));
  const env = { ...process.env, GRAFT_HOME: join(work, 'home'), GRAFT_OFFLINE: '1' };
  const run = (args: string[]) => {
    const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, cwd: repoRoot });
    if (result.status !== 0) throw new Error(`graft ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  };
  const data = join(fashionB, 'train');
  run([
    'train',
    data,
    '--model',
    'resnet50-mini-fashion',
    '--epochs',
    '3',
    '--out',
    join(work, 'run'),
    '--backend',
    'wasm',
  ]);
  const modelDir = join(work, 'model');
  run(['export', join(work, 'run'), '--out', modelDir]);
  return {
    modelDir,
    predict: (files) =>
      JSON.parse(
        run(['predict', modelDir, ...files, '--json', '--top', '5', '--backend', 'wasm']),
      ) as CliPrediction[],
  };
}

export interface CliPrediction {
  file: string;
  label: string;
  probability: number;
  top: { label: string; probability: number }[];
}

/** Records every request of a context, to check that none leaves for another origin. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (request) => urls.push(request.url()));
  return urls;
}
