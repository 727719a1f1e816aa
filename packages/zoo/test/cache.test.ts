import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildResNet50 } from '../src/architectures/resnet50.js';
import { env } from '../src/env.js';
import type { LoadProgress } from '../src/load-backbone.js';
import { convertedDir, weightFilePath } from '../src/node/cache-dir.js';
import { stallTimeoutFromEnv } from '../src/node/download.js';
import { exportBackbone } from '../src/node/export.js';
import { loadBackbone } from '../src/node/load.js';
import { ensureWeightFile, importWeightFile, verifyCache } from '../src/node/weight-cache.js';
import { getModel, registerModel } from '../src/registry.js';
import type { ModelSpec, WeightFileSpec } from '../src/spec.js';
import { type Fault, type FaultServer, startFaultServer } from './fault-server.js';
import { fixture, fixtureBytes, patternImages } from './helpers.js';

const NOTOP = 'resnet50_w64_notop.h5';
const bytes = fixtureBytes(NOTOP);
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const legacyMd5 = md5(fixtureBytes('legacy_fchollet_resnet50.h5'));
const fast = { retryDelayMs: 5, stallTimeoutMs: 400 };

let server: FaultServer;
let counter = 0;

/** Registers a thin test model whose notop file is served at a fresh path with `fault`. */
function serveModel(
  fault: Fault = 'ok',
  served: Uint8Array = bytes,
): { spec: ModelSpec; file: WeightFileSpec; path: string } {
  const path = `/files/${++counter}/${NOTOP}`;
  server.serve(path, served, fault);
  const file: WeightFileSpec = {
    fileName: NOTOP,
    urls: [server.url + path],
    bytes: bytes.byteLength,
    md5: md5(bytes),
    format: 'keras-h5',
  };
  const spec: ModelSpec = {
    ...getModel('resnet50'),
    id: 'test-w64',
    title: 'thin test ResNet50',
    build: (o) => buildResNet50({ ...o, widthDivisor: 64 }),
    featureSize: 32,
    weights: { imagenet: { description: 'test', notop: file } },
    rejectedFiles: [{ md5: legacyMd5, reason: 'the old legacy test file' }],
  };
  registerModel(spec);
  return { spec, file, path };
}

/**
 * Flips the HDF5 signature (the reader then refuses the file) and leaves the stamp saying
 * "verified", as a damage that kept the file's size and time would.
 */
function damageKeepingStamp(path: string): void {
  const damaged = readFileSync(path);
  damaged[0] = damaged[0]! ^ 0xff;
  writeFileSync(path, damaged);
  const { size, mtimeMs } = statSync(path);
  writeFileSync(`${path}.verified`, `${size}:${mtimeMs}`);
}

const requestsFor = (path: string) => server.requests.filter((r) => r.path === path);

beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  env.cacheDir = mkdtempSync(join(tmpdir(), 'graft-cache-'));
  env.offline = undefined;
  env.mirror = undefined;
});

function expectCleanCache(spec: ModelSpec, file: WeightFileSpec) {
  const dest = weightFilePath(spec, file);
  const names = readdirSync(dirname(dest));
  expect(names.filter((n) => n.endsWith('.part') || n.endsWith('.lock'))).toEqual([]);
}

describe('downloads into the cache', () => {
  it('downloads, verifies md5 and size, reports progress, and leaves no temporary files', async () => {
    const { spec, file } = serveModel('ok');
    const progress: LoadProgress[] = [];
    const path = await ensureWeightFile(spec, file, { ...fast, onProgress: (p) => progress.push(p) });
    expect(md5(readFileSync(path))).toBe(file.md5);
    expect(progress.at(-1)).toMatchObject({ phase: 'download', loaded: file.bytes, total: file.bytes });
    expectCleanCache(spec, file);
  });

  for (const fault of ['truncate-once', 'cut-once', 'stall-once'] as const) {
    it(`resumes with an HTTP Range request after a ${fault} transfer`, async () => {
      const { spec, file, path } = serveModel(fault);
      const dest = await ensureWeightFile(spec, file, fast);
      expect(md5(readFileSync(dest))).toBe(file.md5);
      const reqs = requestsFor(path);
      expect(reqs).toHaveLength(2);
      expect(reqs[1]!.range).toMatch(/^bytes=\d+-$/);
      expect(reqs[1]!.status).toBe(206);
      expectCleanCache(spec, file);
    });
  }

  it('starts over when the server ignores Range', async () => {
    const { spec, file, path } = serveModel('ignore-range');
    const dest = weightFilePath(spec, file);
    (await import('node:fs')).mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(`${dest}.part`, bytes.subarray(0, 1000));
    await ensureWeightFile(spec, file, fast);
    expect(md5(readFileSync(dest))).toBe(file.md5);
    expect(requestsFor(path)[0]).toMatchObject({ range: 'bytes=1000-', status: 200 });
  });

  it('ends a download that fills the disk with a message naming the folder, leaving no lock and no file under the final name', async () => {
    const disk = mkdtempSync(join(tmpdir(), 'graft-full-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]).status === 0;
    if (!mounted) {
      console.warn('skipped: cannot mount a small tmpfs here to fill a disk');
      return;
    }
    try {
      env.cacheDir = disk;
      const { spec, file } = serveModel();
      await expect(ensureWeightFile(spec, file, fast)).rejects.toThrow(
        /cannot write .*\.part \(ENOSPC\): the disk holding .* is full; free some space or point GRAFT_HOME at another disk/,
      );
      const dest = weightFilePath(spec, file);
      expect(existsSync(dest)).toBe(false);
      expect(readdirSync(dirname(dest)).filter((n) => n.endsWith('.lock'))).toEqual([]);
    } finally {
      spawnSync('umount', [disk]);
    }
  });

  it('takes the stall timeout from GRAFT_TIMEOUT (seconds), default 30', () => {
    const saved = process.env.GRAFT_TIMEOUT;
    try {
      process.env.GRAFT_TIMEOUT = '120';
      expect(stallTimeoutFromEnv()).toBe(120_000);
      process.env.GRAFT_TIMEOUT = 'soon';
      expect(stallTimeoutFromEnv()).toBe(30_000);
    } finally {
      if (saved === undefined) delete process.env.GRAFT_TIMEOUT;
      else process.env.GRAFT_TIMEOUT = saved;
    }
  });

  it('stops a body longer than the file at its known size, and never keeps a web page as part of the file', async () => {
    for (const [fault, message] of [
      ['endless', /sent more than the \d+ bytes of resnet50_w64_notop\.h5: not the weight file/],
      ['html', /answered with a web page \(text\/html; charset=utf-8\), not the weight file/],
    ] as const) {
      const { spec, file, path } = serveModel(fault);
      await expect(ensureWeightFile(spec, file, fast)).rejects.toThrow(message);
      expect(requestsFor(path)).toHaveLength(1); // not retried: it would say the same again
      expectCleanCache(spec, file);
      expect(existsSync(weightFilePath(spec, file))).toBe(false);
    }
  });

  it('refuses at once a file whose Content-Length is not the known size, naming both sizes', async () => {
    const { spec, file, path } = serveModel('ok', bytes.subarray(0, bytes.byteLength - 1000));
    await expect(ensureWeightFile(spec, file, fast)).rejects.toThrow(
      `is ${bytes.byteLength - 1000} bytes, but resnet50_w64_notop.h5 is ${bytes.byteLength} bytes: not the weight file`,
    );
    expect(requestsFor(path)).toHaveLength(1); // the wrong file, not a network fault: not retried
    expect(existsSync(weightFilePath(spec, file))).toBe(false);
    expectCleanCache(spec, file);
  });

  it('names the URL of a network error once, not once per attempt and URL', async () => {
    const { spec, file } = serveModel('ok');
    const unreachable = 'http://127.0.0.1:9/nothing-listens-here.h5';
    const err = await ensureWeightFile(
      spec,
      { ...file, urls: [unreachable] },
      { ...fast, attempts: 2 },
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain(`GET ${unreachable}: fetch failed (gave up after 2 attempts)`);
    expect(message.split('gave up').length - 1).toBe(1);
  });

  it('retries HTTP 5xx with back-off', async () => {
    const { spec, file, path } = serveModel('fail-5xx-twice');
    await ensureWeightFile(spec, file, fast);
    expect(requestsFor(path).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('does not retry a 404, and says what to do', async () => {
    const { spec, file, path } = serveModel('not-found');
    await expect(ensureWeightFile(spec, file, fast)).rejects.toThrow(
      /could not download resnet50_w64_notop\.h5: GET .* HTTP 404.*graft zoo import/,
    );
    expect(requestsFor(path)).toHaveLength(1);
    expect(existsSync(weightFilePath(spec, file))).toBe(false);
  });

  it('never keeps a file that fails verification', async () => {
    const { spec, file } = serveModel('corrupt');
    await expect(ensureWeightFile(spec, file, { ...fast, attempts: 2 })).rejects.toThrow(
      /served a file that failed verification \(md5 [0-9a-f]{32}, expected [0-9a-f]{32}\)/,
    );
    expect(existsSync(weightFilePath(spec, file))).toBe(false);
    expectCleanCache(spec, file);
  });

  it('deletes a cached file that fails its check and fetches it again', async () => {
    const { spec, file, path } = serveModel('ok');
    const dest = await ensureWeightFile(spec, file, fast);
    const damaged = readFileSync(dest);
    damaged[5000] = damaged[5000]! ^ 1;
    writeFileSync(dest, damaged);
    await ensureWeightFile(spec, file, fast);
    expect(md5(readFileSync(dest))).toBe(file.md5);
    expect(requestsFor(path)).toHaveLength(2);
  });

  it('uses a mirror in place of the URL base', async () => {
    const { spec, file } = serveModel('not-found');
    server.serve(`/mirror/${NOTOP}`, bytes);
    env.mirror = `${server.url}/mirror/`;
    await ensureWeightFile(spec, file, fast);
    expect(requestsFor(`/mirror/${NOTOP}`)).toHaveLength(1);
  });

  it('lets two processes pull the same file: one downloads, the other waits and reuses it', async () => {
    const { file, path } = serveModel('slow');
    const child = join(dirname(fileURLToPath(import.meta.url)), 'pull-child.mjs');
    const run = () => promisify(execFile)(process.execPath, [child, env.cacheDir!, JSON.stringify(file)]);
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.stdout.trim()).toBe(b.stdout.trim());
    expect(md5(readFileSync(a.stdout.trim()))).toBe(file.md5);
    expect(requestsFor(path)).toHaveLength(1);
    expect([a.stderr, b.stderr].filter((e) => e.includes('waited for another process'))).toHaveLength(1);
  });
});

describe('offline mode', () => {
  it('says what is missing and how to import it, without touching the network', async () => {
    const { spec, file, path } = serveModel('ok');
    env.offline = true;
    await expect(ensureWeightFile(spec, file, fast)).rejects.toThrow(
      /test-w64: the weight file resnet50_w64_notop\.h5 is not in the cache \(.*\) and offline mode is on.*graft zoo import test-w64 resnet50_w64_notop\.h5/,
    );
    expect(requestsFor(path)).toHaveLength(0);
  });

  it('loads from the cache with no network', async () => {
    const { file, path } = serveModel('ok');
    await loadBackbone('test-w64').then((b) => b.model.dispose());
    env.offline = true;
    server.serve(path, bytes, 'not-found');
    const again = await loadBackbone('test-w64');
    expect(again.weights.id).toBe(file.md5);
    again.model.dispose();
  });
});

describe('loadBackbone in Node', () => {
  function features(model: import('@tensorflow/tfjs-layers').LayersModel) {
    return tfc.tidy(() => {
      const x = patternImages(1, 64, 64);
      return Array.from((model.predict(x) as tfc.Tensor).dataSync());
    });
  }

  it('reads the .h5 once, then loads a converted copy with the same numbers', async () => {
    const { file, path } = serveModel('ok');
    const first = await loadBackbone('test-w64');
    expect(first.weights.source).toBe(`imagenet (${NOTOP})`);
    const key = `test-w64/imagenet-notop-${file.md5}`;
    expect(readdirSync(convertedDir(key)).sort()).toEqual([
      'graft-backbone.json',
      'group1-shard1of1.bin',
      'model.json',
    ]);
    const second = await loadBackbone('test-w64');
    expect(second.weights.source).toMatch(/converted copy/);
    expect(features(second.model)).toEqual(features(first.model));
    expect(requestsFor(path)).toHaveLength(1);
    first.model.dispose();
    second.model.dispose();
  });

  it('rebuilds a damaged converted copy from the verified .h5', async () => {
    const { file } = serveModel('ok');
    (await loadBackbone('test-w64')).model.dispose();
    const shard = join(convertedDir(`test-w64/imagenet-notop-${file.md5}`), 'group1-shard1of1.bin');
    const damaged = readFileSync(shard);
    damaged[10] = damaged[10]! ^ 0xff;
    writeFileSync(shard, damaged);
    const again = await loadBackbone('test-w64');
    expect(again.weights.source).toBe(`imagenet (${NOTOP})`);
    expect(readFileSync(shard)[10]).not.toBe(damaged[10]);
    again.model.dispose();
  });

  it('checks a cached .h5 again when it does not load: a damaged copy with its old size and time is fetched again', async () => {
    const { spec, file, path } = serveModel('ok');
    const dest = await ensureWeightFile(spec, file, fast);
    damageKeepingStamp(dest);
    const again = await loadBackbone('test-w64');
    expect(again.weights.source).toMatch(
      /the cached copy did not load and failed its check \(.*md5.*\), so it was fetched again/,
    );
    expect(md5(readFileSync(dest))).toBe(file.md5);
    expect(requestsFor(path)).toHaveLength(2);
    again.model.dispose();
  });

  it('says which cached .h5 failed and why when it cannot be fetched again (offline)', async () => {
    const { spec, file } = serveModel('ok');
    const dest = await ensureWeightFile(spec, file, fast);
    damageKeepingStamp(dest);
    env.offline = true;
    await expect(loadBackbone('test-w64')).rejects.toThrow(
      /the cached resnet50_w64_notop\.h5 did not load and failed its check \(.*resnet50_w64_notop\.h5: .*md5.*\); it was deleted, and getting it again failed: .*offline mode is on/,
    );
    expect(existsSync(dest)).toBe(false);
  });

  it("loads a user's own .h5 by path, and names a missing one", async () => {
    serveModel('ok');
    const own = await loadBackbone('test-w64', { weights: fixture(NOTOP) });
    expect(own.weights.source).toBe(fixture(NOTOP));
    expect(own.weights.id).toMatch(/^[0-9a-f]{64}$/);
    own.model.dispose();
    await expect(loadBackbone('test-w64', { weights: '/nope/w.h5' })).rejects.toThrow(
      'cannot read weight file /nope/w.h5: no such file',
    );
    await expect(
      loadBackbone('test-w64', { weights: fixture('legacy_fchollet_resnet50.h5') }),
    ).rejects.toThrow(/fchollet/);
    await expect(loadBackbone('test-w64', { weights: 'imagenett' })).rejects.toThrow(
      /unknown weights 'imagenett' for test-w64/,
    );
  });

  it('builds random weights with weights: null', async () => {
    serveModel('ok');
    const b = await loadBackbone('test-w64', { weights: null });
    expect(b.weights).toEqual({ source: 'random initialisation', id: 'random' });
    b.model.dispose();
  });
});

describe('exportBackbone', () => {
  it('writes a folder that plain tf.loadLayersModel loads, with the same numbers', async () => {
    serveModel('ok');
    const out = join(mkdtempSync(join(tmpdir(), 'graft-export-')), 'resnet');
    await exportBackbone('test-w64', out);
    const manifest = JSON.parse(readFileSync(join(out, 'graft-backbone.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'graft-backbone',
      model: 'test-w64',
      includeTop: false,
      inputShape: [null, null, 3],
    });
    for (const name of readdirSync(out))
      server.serve(`/export/${name}`, new Uint8Array(readFileSync(join(out, name))));
    const plain = await tfl.loadLayersModel(`${server.url}/export/model.json`);
    const ours = await loadBackbone('test-w64');
    const x = patternImages(1, 48, 48);
    const a = plain.predict(x) as tfc.Tensor;
    const b = ours.model.predict(x) as tfc.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(plain.layers.map((l) => l.name)).toEqual(ours.model.layers.map((l) => l.name));
    tfc.dispose([x, a, b]);
    plain.dispose();
    ours.model.dispose();
  });

  it('loads a served export through loadBackbone({ modelUrl }), checking every shard', async () => {
    serveModel('ok');
    const out = join(mkdtempSync(join(tmpdir(), 'graft-export-')), 'resnet');
    await exportBackbone('test-w64', out);
    for (const name of readdirSync(out))
      server.serve(`/served/${name}`, new Uint8Array(readFileSync(join(out, name))));
    const b = await loadBackbone('test-w64', { modelUrl: `${server.url}/served/` });
    expect(b.weights.source).toMatch(/served/);
    b.model.dispose();
    const shard = new Uint8Array(readFileSync(join(out, 'group1-shard1of1.bin')));
    shard[0] = shard[0]! ^ 1;
    server.serve('/served/group1-shard1of1.bin', shard);
    await expect(loadBackbone('test-w64', { modelUrl: `${server.url}/served/` })).rejects.toThrow(
      /shard group1-shard1of1\.bin has sha256 [0-9a-f]{64}, expected [0-9a-f]{64} \(corrupt\)/,
    );
  });
});

describe('import and verify', () => {
  it('imports a hand-carried file whose md5 is one of the model files', async () => {
    const { spec, file } = serveModel('not-found');
    const result = await importWeightFile('test-w64', fixture(NOTOP));
    expect(result.path).toBe(weightFilePath(spec, file));
    env.offline = true;
    const b = await loadBackbone('test-w64');
    b.model.dispose();
  });

  it('refuses a file with another md5, a legacy file and a missing file, importing nothing', async () => {
    const { spec, file } = serveModel('ok');
    await expect(importWeightFile('test-w64', fixture('resnet50_w64_top.h5'))).rejects.toThrow(
      /resnet50_w64_top\.h5 has md5 [0-9a-f]{32}, which is none of test-w64's weight files: resnet50_w64_notop\.h5 \(imagenet, md5 [0-9a-f]{32}\)\. It was not imported\./,
    );
    await expect(importWeightFile('test-w64', fixture('legacy_fchollet_resnet50.h5'))).rejects.toThrow(
      /legacy_fchollet_resnet50\.h5 is the old legacy test file; it was not imported/,
    );
    await expect(importWeightFile('test-w64', '/no/such.h5')).rejects.toThrow(
      'cannot import /no/such.h5: no such file',
    );
    expect(existsSync(weightFilePath(spec, file))).toBe(false);
  });

  it('verify re-hashes the cache and deletes a damaged file', async () => {
    const { spec, file } = serveModel('ok');
    const dest = await ensureWeightFile(spec, file, fast);
    expect(await verifyCache()).toEqual([{ path: dest, ok: true }]);
    writeFileSync(dest, 'garbage');
    expect(await verifyCache()).toEqual([
      { path: dest, ok: false, problem: `7 bytes, expected ${file.bytes}` },
    ]);
    expect(existsSync(dest)).toBe(false);
  });
});
