import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from '@graft/test-support';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export { CHROMIUM, haveChromium };

export const here = dirname(fileURLToPath(import.meta.url));
export const packageRoot = join(here, '..');
export const repoRoot = join(packageRoot, '..', '..');
export const artifacts = join(packageRoot, 'test-artifacts');

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
  const data = join(repoRoot, 'examples', 'fashion-b', 'train');
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
