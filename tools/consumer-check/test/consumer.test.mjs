// Graft as an npm user meets it, outside the workspace: every package packed as it would be
// published, the tarballs installed with plain npm into a fresh project, then the README's library
// snippet run verbatim on Node, a consumer typechecked with `tsc --strict` (no skipLibCheck), the
// installed `graft` started, and a Vite app that embeds <graft-trainer> built and trained in
// Chromium on a cross-origin isolated page. Needs the npm registry (as CI's install does).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_FLAGS, haveChromium } from '@graft/test-support';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const PACKAGES = ['zoo', 'core', 'web', 'cli'];
const work = mkdtempSync(join(tmpdir(), 'graft-consumer-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
const version = (name) =>
  JSON.parse(readFileSync(join(repo, 'packages', name, 'package.json'), 'utf8')).version;
const tarball = (name) => `file:${join(tarballs, `graft-${name}-${version(name)}.tgz`)}`;
const run = (command, args, cwd = app) =>
  spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

/** The first ```ts block under the README's "## The library". */
function readmeLibrarySnippet() {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The library'));
  return /```ts\n([\s\S]*?)```/.exec(section)[1];
}

beforeAll(() => {
  mkdirSync(tarballs, { recursive: true });
  for (const name of PACKAGES)
    execFileSync('npx', ['-y', 'pnpm@12.4.2', 'pack', '--pack-destination', tarballs], {
      cwd: join(repo, 'packages', name),
      stdio: 'pipe',
    });
  mkdirSync(app, { recursive: true });
  const graft = Object.fromEntries(PACKAGES.map((name) => [`@graft/${name}`, tarball(name)]));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'graft-consumer',
      private: true,
      type: 'module',
      dependencies: {
        ...graft,
        '@tensorflow/tfjs-backend-cpu': '4.22.0',
        '@tensorflow/tfjs-backend-wasm': '4.22.0',
        sharp: '0.34.5',
        typescript: '5.9.3',
        vite: '8.3.8',
      },
      // the packages' dependencies on each other resolve to these tarballs, not to the registry
      overrides: graft,
    }),
  );
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--onnxruntime-node-install=skip']);
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
});

describe('the packed packages', () => {
  it('publish no devDependencies, scripts or workspace: ranges, and ship a LICENSE', () => {
    for (const name of PACKAGES) {
      const dir = join(app, 'node_modules', '@graft', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(manifest.devDependencies, name).toBeUndefined();
      expect(manifest.scripts, name).toBeUndefined();
      expect(JSON.stringify(manifest), name).not.toContain('workspace:');
      expect(existsSync(join(dir, 'LICENSE')), name).toBe(true);
      // the widget's bundle is self-contained: it declares only @graft/core, for its types
      if (name === 'web') expect(Object.keys(manifest.dependencies)).toEqual(['@graft/core']);
    }
  });

  it("run the README's library snippet verbatim: train on a few images, save with file://, load and predict", async () => {
    const sharp = (await import(join(app, 'node_modules', 'sharp', 'lib', 'index.js'))).default;
    for (const [label, rgb] of [
      ['cat', [200, 60, 40]],
      ['dog', [40, 60, 200]],
    ]) {
      mkdirSync(join(app, 'photos', label), { recursive: true });
      for (let i = 0; i < 6; i++) {
        const raw = Buffer.alloc(40 * 40 * 3);
        for (let j = 0; j < raw.length; j++)
          raw[j] = Math.max(0, Math.min(255, rgb[j % 3] + ((j * 7919 + i * 31) % 41) - 20));
        await sharp(raw, { raw: { width: 40, height: 40, channels: 3 } })
          .png()
          .toFile(join(app, 'photos', label, `${i}.png`));
      }
    }
    writeFileSync(join(app, 'snippet.mjs'), readmeLibrarySnippet());
    const r = run(process.execPath, ['snippet.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/selection: 'cross-validation'/);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^cat 0\.9\d*$/);
    expect(existsSync(join(app, 'my-model', 'model.json'))).toBe(true);
  });

  it('typecheck a consumer with tsc --strict: no error outside tfjs-layers’ own declarations', () => {
    cpSync(join(here, '..', 'fixture', 'consumer.ts'), join(app, 'consumer.ts'));
    const r = run('npx', [
      'tsc',
      '--strict',
      '--noEmit',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--lib',
      'es2022,dom',
      'consumer.ts',
    ]);
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    const ours = errors.filter((l) => !l.startsWith('node_modules/@tensorflow/'));
    expect(ours).toEqual([]);
    // tfjs-layers 4.22's declarations fail strict mode by themselves (index signatures, Shape vs number[])
    expect(errors.every((l) => l.startsWith('node_modules/@tensorflow/tfjs-layers/'))).toBe(true);
  });

  it('install a working graft command', () => {
    const r = run('npx', ['graft', 'zoo', 'list']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resnet50-mini-fashion/);
  });
});

/** Opens `url` in Chromium and returns what the app's main.js left in `window.result`, and page errors. */
async function appResult(url) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    return { result: await page.evaluate(() => window.result), errors };
  } finally {
    await browser.close();
  }
}

describe.skipIf(!haveChromium)('a Vite app that embeds <graft-trainer>', () => {
  beforeAll(() => {
    const site = join(app, 'vite-app');
    cpSync(join(here, '..', 'fixture', 'vite-app'), site, { recursive: true });
    const demo = join(app, 'node_modules/@graft/zoo/assets/resnet50-mini-fashion');
    cpSync(demo, join(site, 'public/models/demo'), { recursive: true });
  });

  it('runs under the Vite dev server as it is (no config): the demo backbone loads and the widget trains in its worker', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    // vite's own script, not npx: killing it then stops the server itself
    const vite = join(app, 'node_modules', 'vite', 'bin', 'vite.js');
    const dev = spawn(process.execPath, [vite, 'vite-app', '--port', String(port), '--strictPort'], {
      cwd: app,
      stdio: 'pipe',
    });
    try {
      let log = '';
      await new Promise((ready, fail) => {
        dev.stdout.on('data', (d) => {
          log += d;
          if (log.includes('ready in')) ready();
        });
        dev.once('exit', () => fail(new Error(`vite dev exited:\n${log}`)));
      });
      const { result, errors } = await appResult(`http://localhost:${port}/`);
      expect(result.error).toBeUndefined();
      expect(result.bundledBackbone).toBe('fashion-a (bundled with @graft/zoo)');
      expect(result.engine).toMatchObject({ backend: 'wasm', thread: 'worker' });
      expect(result.predictions.filter((p) => p.got === p.expected).length).toBeGreaterThanOrEqual(7);
      expect(errors).toEqual([]);
    } finally {
      dev.kill();
    }
  });

  it('builds with the worker, the .wasm files and the demo backbone emitted, and trains in the worker on threaded wasm', async () => {
    const site = join(app, 'vite-app');
    const build = run('npx', ['vite', 'build', 'vite-app', '--outDir', 'dist', '--emptyOutDir']);
    expect(build.status, build.stderr).toBe(0);
    const dist = join(site, 'dist');
    const served = readFileSync(join(dist, 'index.html'), 'utf8');
    expect(served).toMatch(/assets\/index-[\w-]+\.js/);

    const types = {
      '.html': 'text/html',
      '.js': 'text/javascript',
      '.wasm': 'application/wasm',
      '.json': 'application/json',
    };
    const server = createServer((req, res) => {
      let path = join(dist, decodeURIComponent(new URL(req.url, 'http://x').pathname));
      if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
      if (!existsSync(path)) return res.writeHead(404).end();
      res
        .writeHead(200, {
          'Content-Type': types[extname(path)] ?? 'application/octet-stream',
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'require-corp',
        })
        .end(readFileSync(path));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { result, errors } = await appResult(`http://127.0.0.1:${server.address().port}/`);
      expect(result.error).toBeUndefined();
      expect(result.bundledBackbone).toBe('fashion-a (bundled with @graft/zoo)');
      expect(result.engine).toMatchObject({ backend: 'wasm', thread: 'worker' });
      expect(result.engine.notes.filter((n) => /one thread|main thread/.test(n))).toEqual([]);
      expect(result.predictions.filter((p) => p.got === p.expected).length).toBeGreaterThanOrEqual(7);
      expect(errors).toEqual([]);
    } finally {
      server.close();
    }
  });
});
