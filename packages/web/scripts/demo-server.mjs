// Serves the demo page, the built widget and exported models with the headers a deployment
// should use: COOP/COEP (so wasm gets threads) and a strict Content-Security-Policy.
// `node scripts/demo-server.mjs [--port N] [--open]`; tests import startDemoServer.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Content-Security-Policy the widget works under (README, "Content-Security-Policy"). */
export const WIDGET_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' blob:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
};

/**
 * Starts the server. `mounts` maps URL prefixes to folders (defaults: /dist, /demo, and
 * /models/backbone/ → the zoo's bundled demo backbone, a `graft zoo export` folder).
 */
export async function startDemoServer({ port = 0, mounts = {}, csp = WIDGET_CSP, onRequest } = {}) {
  const table = {
    '/dist/': join(root, 'dist'),
    '/demo/': join(root, 'demo'),
    '/models/backbone/': join(root, '..', 'zoo', 'assets', 'resnet50-mini-fashion'),
    ...mounts,
  };
  const server = createServer((req, res) => {
    onRequest?.(req);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
      ...(csp ? { 'Content-Security-Policy': csp } : {}),
    };
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = path === '/' ? join(root, 'demo', 'index.html') : null;
    for (const [prefix, dir] of Object.entries(table)) {
      if (file || !path.startsWith(prefix)) continue;
      const base = normalize(dir).replace(/[\\/]+$/, '');
      const candidate = normalize(join(base, path.slice(prefix.length)));
      if (candidate === base || candidate.startsWith(base + sep)) file = candidate;
    }
    if (file && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file || !existsSync(file)) return res.writeHead(404, headers).end('not found');
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} is already in use: stop what uses it, or pass --port <another>`)
          : err,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(root, 'dist', 'graft-trainer.js'))) {
    console.log('building the widget first (pnpm --filter @graft/web build)…');
    const { status } = await import('node:child_process').then(({ spawnSync }) =>
      spawnSync('node', [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' }),
    );
    if (status !== 0) process.exit(status ?? 1);
  }
  const portFlag = process.argv.indexOf('--port');
  const { url } = await startDemoServer({
    port: portFlag > 0 ? Number(process.argv[portFlag + 1]) : 5174,
  }).catch((err) => {
    console.error(`demo server: ${err.message}`);
    process.exit(1);
  });
  console.log(`Graft widget demo: ${url}/  (Ctrl-C to stop)`);
  if (process.argv.includes('--open')) {
    const opener =
      process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'start' : 'xdg-open';
    spawn(opener, [`${url}/`], { stdio: 'ignore', detached: true }).on('error', () => {});
  }
}
