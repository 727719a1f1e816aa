import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
export const bin = join(here, '..', 'dist', 'bin.js');
export const plugin = join(here, 'fixtures', 'thin-models.mjs');
export const zooFixtures = join(
  dirname(createRequire(import.meta.url).resolve('@graft/zoo/package.json')),
  'test',
  'fixtures',
);
/** The thin16 test model's "pretrained" weights (the zoo's ResNet50 / 16 fixture). */
export const w16 = join(zooFixtures, 'resnet50_w16_notop.h5');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the built `graft` as a user would, with the thin test models registered by plugin. */
export function spawnGraft(args: string[], env: Record<string, string | undefined> = {}) {
  return spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, GRAFT_PLUGINS: plugin, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the built `graft` to its end. */
export function graft(args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawnGraft(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export const tempDir = (prefix = 'graft-cli-') => mkdtempSync(join(tmpdir(), prefix));

/** A JSON file, parsed. */
export const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** A JSON Lines file (metrics.jsonl), parsed line by line. */
export const readJsonLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

/** Writes a solid-colour image with a little deterministic noise. */
export async function writeImage(
  path: string,
  rgb: [number, number, number],
  size = 64,
  format: 'png' | 'jpeg' = 'png',
) {
  const data = Buffer.alloc(size * size * 3);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.max(0, Math.min(255, rgb[i % 3]! + ((i * 7919) % 31) - 15));
  const img = sharp(data, { raw: { width: size, height: size, channels: 3 } });
  await (format === 'png' ? img.png() : img.jpeg()).toFile(path);
  return path;
}

/** One folder per class of `count` 32×32 images of its colour, `0.png`…, each shaded by `shade(i)`. */
export async function writeClassFolders(
  root: string,
  colours: Record<string, [number, number, number]>,
  count: number,
  shade: (i: number) => number,
) {
  for (const [label, rgb] of Object.entries(colours)) {
    mkdirSync(join(root, label), { recursive: true });
    for (let i = 0; i < count; i++)
      await writeImage(
        join(root, label, `${i}.png`),
        rgb.map((v) => v + shade(i)) as [number, number, number],
        32,
      );
  }
}

/** A plain static file server over a folder, counting requests per path. */
export async function serveFolder(dir: string) {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    hits.set(name, (hits.get(name) ?? 0) + 1);
    try {
      const body = readFileSync(join(dir, name));
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}
