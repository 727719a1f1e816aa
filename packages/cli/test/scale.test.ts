import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graft, readJson, spawnGraft, tempDir, w16, writeClassFolders } from './helpers.js';

// Redis is real: Debian's redis-server on loopback, started here (.ci/run installs it).
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
const model = ['--model', 'resnet50-mini-fashion'];
let data: string;
let home: string;
let port: number;
let redis: ChildProcess | null = null;
let reference: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      server.close(() => resolve(p));
    });
  });

async function startRedis(): Promise<void> {
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    if (
      spawnSync('redis-cli', ['-p', String(port), 'ping'])
        .stdout?.toString()
        .trim() === 'PONG'
    )
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

function stopRedis(): Promise<void> {
  const r = redis;
  redis = null;
  if (!r) return Promise.resolve();
  return new Promise((resolve) => {
    r.once('exit', () => resolve());
    r.kill('SIGKILL'); // no save: a restart comes back empty
  });
}

const url = () => `redis://127.0.0.1:${port}/0`;
const env = () => ({ GRAFT_HOME: home });
const workers: ChildProcess[] = [];
function startWorker(...extra: string[]): ChildProcess & { log: () => string } {
  const child = spawnGraft(['worker', '--queue', url(), '--stall-seconds', '1', ...extra], env());
  let log = '';
  child.stderr!.on('data', (d) => {
    log += d;
  });
  workers.push(child);
  return Object.assign(child, { log: () => log });
}
async function stopWorkers() {
  await Promise.all(
    workers.splice(0).map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.exitCode !== null || w.signalCode !== null) return resolve();
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  );
}

const merged = (dir: string) => ({
  features: readFileSync(join(dir, 'features.npy')),
  index: readFileSync(join(dir, 'index.jsonl'), 'utf8'),
});

beforeAll(async () => {
  data = tempDir('graft-scale-data-');
  await writeClassFolders(
    data,
    { red: [200, 40, 40], green: [40, 200, 40], blue: [40, 40, 200] },
    100,
    (i) => (i % 25) * 3,
  );
  home = tempDir('graft-scale-home-');
  reference = join(tempDir(), 'reference');
  const r = await graft(['embed', data, ...model, '--out', reference, '--shard-size', '40'], env());
  expect(r.status, r.stderr).toBe(0);
  if (hasRedis) {
    port = await freePort();
    await startRedis();
  }
}, 60_000);

afterAll(async () => {
  await stopWorkers();
  await stopRedis();
});

describe('sharded embedding without a broker', () => {
  it('writes one file per shard, merges every image once in input order, and never redoes a finished shard', async () => {
    const index = readFileSync(join(reference, 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(index.map((l) => l.input)).toEqual([...Array(300).keys()]);
    expect(new Set(index.map((l) => l.file)).size).toBe(300);
    expect(readdirSync(join(reference, 'shards')).sort().slice(0, 2)).toEqual([
      'shard-000000.jsonl',
      'shard-000000.npy',
    ]);
    const header = readFileSync(join(reference, 'features.npy')).subarray(0, 80).toString('latin1');
    expect(header).toContain("'shape': (300, ");
    const again = await graft(['embed', data, ...model, '--out', reference, '--shard-size', '40'], env());
    expect(again.stderr).toContain('0 run, 8 already finished');
  });

  it('--shard i/n run separately (and n with JOB_COMPLETION_INDEX) then merged equals the one-process output', async () => {
    const out = join(tempDir(), 'slices');
    for (const i of [0, 1])
      expect(
        (
          await graft(
            ['embed', data, ...model, '--out', out, '--shard-size', '40', '--shard', `${i}/3`],
            env(),
          )
        ).status,
      ).toBe(0);
    const early = await graft(['merge', out], env());
    expect(early.status).toBe(1);
    expect(early.stderr).toMatch(/2 of 8 shards are not finished \(shard-000002, shard-000005\)/);
    const last = await graft(['embed', data, ...model, '--out', out, '--shard-size', '40', '--shard', '3'], {
      ...env(),
      JOB_COMPLETION_INDEX: '2',
    });
    expect(last.status, last.stderr).toBe(0);
    expect(merged(out)).toEqual(merged(reference));
  });

  it('lists an unreadable image in the index with its reason (exit 1), and writes float16 when asked', async () => {
    const small = tempDir();
    await writeClassFolders(small, { red: [200, 40, 40] }, 3, (i) => i * 9);
    writeFileSync(join(small, 'red', 'broken.png'), 'not a png');
    const out = join(tempDir(), 'half');
    const r = await graft(['embed', small, ...model, '--out', out, '--dtype', 'float16'], env());
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/merged 3 images \(1 unreadable\)/);
    expect(r.stderr).toMatch(/warning: skipped .*broken\.png: is not an image in a format graft reads/);
    const lines = readFileSync(join(out, 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.input, l.row ?? l.error.slice(0, 15)])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 'is not an image'],
    ]);
    const header = readFileSync(join(out, 'features.npy')).subarray(0, 80).toString('latin1');
    expect(header).toContain("'descr': '<f2'");
    expect(header).toContain("'shape': (3, ");
  });

  it('says when merge is given a folder that is not a sharded output', async () => {
    const r = await graft(['merge', data], env());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`graft: error: ${data} is not a sharded output folder (no manifest.json)`);
  });

  it('refuses an output folder that holds another job', async () => {
    const r = await graft(['embed', data, ...model, '--out', reference, '--shard-size', '50'], env());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${reference} holds the shards of another job`);
  });

  it('trains a head from the merged features without running the backbone, as a normal run would', async () => {
    const runs = tempDir();
    const withFeatures = await graft(
      ['train', data, ...model, '--features', reference, '--out', join(runs, 'a')],
      {
        GRAFT_HOME: tempDir(),
      },
    );
    expect(withFeatures.status, withFeatures.stderr).toBe(0);
    expect(withFeatures.stderr).toContain(
      'backbone ran on 0 image(s); 300 feature vector(s) came from the cache',
    );
    const normal = await graft(['train', data, ...model, '--out', join(runs, 'b')], {
      GRAFT_HOME: tempDir(),
    });
    expect(normal.status).toBe(0);
    expect(readJson(join(runs, 'a', 'evaluation.json'))).toEqual(
      readJson(join(runs, 'b', 'evaluation.json')),
    );
    // the images are not read at all: train on features of files that no longer decode
    const copy = tempDir();
    await writeClassFolders(copy, { red: [200, 40, 40], blue: [40, 40, 200] }, 6, (i) => i * 7);
    const feats = join(tempDir(), 'feats');
    expect((await graft(['embed', copy, ...model, '--out', feats], env())).status).toBe(0);
    for (const label of ['red', 'blue'])
      for (let i = 0; i < 6; i++) writeFileSync(join(copy, label, `${i}.png`), 'no longer an image');
    const undecoded = await graft(
      ['train', copy, ...model, '--features', feats, '--out', join(runs, 'd')],
      env(),
    );
    expect(undecoded.status, undecoded.stderr).toBe(0);
    expect(undecoded.stderr).toContain('12 images in 2 classes');
    expect(undecoded.stderr).toContain('backbone ran on 0 image(s)');
    expect(undecoded.stderr).not.toMatch(/warning: skipped|cannot be decoded/);
    // a file added after the embed has no features: skipped with a warning, or --strict stops
    writeFileSync(join(copy, 'red', 'new.png'), 'added later');
    const later = await graft(
      ['train', copy, ...model, '--features', feats, '--out', join(runs, 'e')],
      env(),
    );
    expect(later.status, later.stderr).toBe(0);
    expect(later.stderr).toContain(
      `warning: skipped ${join(copy, 'red', 'new.png')}: not among the features in ${feats}`,
    );
    const strict = await graft(
      ['train', copy, ...model, '--features', feats, '--strict', '--out', join(runs, 'f')],
      env(),
    );
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(
      /new\.png: not among the features in .* \(--strict stops at the first bad image\)/,
    );
    const wrongSize = await graft(
      ['train', data, ...model, '--features', reference, '--image-size', '48', '--out', join(runs, 'c')],
      env(),
    );
    expect(wrongSize.status).toBe(2);
    expect(wrongSize.stderr).toContain('was embedded differently from this run (input 64×64, not 48×48)');
    expect(existsSync(join(runs, 'c'))).toBe(false); // refused before a run folder is made
  });
});

describe.skipIf(!hasRedis)('queue mode on BullMQ + Redis', () => {
  it('1 worker and 3 workers give the same merged features, bit for bit, in the same order', async () => {
    for (const count of [1, 3]) {
      for (let i = 0; i < count; i++) startWorker();
      const out = join(tempDir(), `queue-${count}`);
      const r = await graft(
        ['embed', data, ...model, '--out', out, '--shard-size', '40', '--queue', url()],
        env(),
      );
      expect(r.status, r.stderr).toBe(0);
      expect(merged(out)).toEqual(merged(reference));
      await stopWorkers();
    }
  }, 90_000);

  it('a worker killed mid-shard: another takes the shard over, every image is merged once, no partial file shows', async () => {
    const out = join(tempDir(), 'killed');
    const queue = new Queue('graft-shards', { connection: { host: '127.0.0.1', port } });
    const slow = ['--engine', 'tfjs', '--batch-size', '1'];
    const victim = startWorker(...slow);
    const coordinator = graft(
      ['embed', data, ...model, '--out', out, '--shard-size', '100', '--queue', url()],
      env(),
    );
    let killed = false;
    for (let i = 0; i < 1000 && !killed; i++) {
      const [job] = await queue.getActive();
      if (job && typeof job.progress === 'number' && job.progress > 0 && job.progress < 100) {
        victim.kill('SIGKILL');
        killed = true;
      } else await new Promise((r) => setTimeout(r, 10));
    }
    expect(killed).toBe(true);
    const survivor = startWorker(...slow);
    const r = await coordinator;
    expect(r.status, r.stderr).toBe(0);
    const index = readFileSync(join(out, 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(index.map((l) => l.file)).toEqual(
      JSON.parse(`[${readFileSync(join(out, 'files.jsonl'), 'utf8').trim().split('\n').join(',')}]`),
    );
    expect(readdirSync(join(out, 'shards')).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(survivor.log()).toMatch(/shard-00000\d: 100 images/);
    await queue.close();
    await stopWorkers();
  }, 90_000);

  it('Redis restarted empty mid-run: the lost shards are queued again and the merge has no hole', async () => {
    const out = join(tempDir(), 'restarted');
    const queue = new Queue('graft-shards', { connection: { host: '127.0.0.1', port } });
    const coordinator = graft(
      ['embed', data, ...model, '--out', out, '--shard-size', '40', '--queue', url()],
      env(),
    );
    while ((await queue.getWaitingCount()) < 8) await new Promise((r) => setTimeout(r, 20));
    await queue.close();
    await stopRedis();
    await new Promise((r) => setTimeout(r, 500));
    await startRedis();
    startWorker();
    const r = await coordinator;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Redis came back without 8 queued shard(s): queued them again');
    expect(merged(out)).toEqual(merged(reference));
    await stopWorkers();
  }, 90_000);

  it('says at once that Redis cannot be reached, and merges nothing', async () => {
    const out = join(tempDir(), 'unreachable');
    const r = await graft(
      ['embed', data, ...model, '--out', out, '--queue', `redis://127.0.0.1:${await freePort()}`],
      env(),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
    expect(existsSync(join(out, 'features.npy'))).toBe(false);
  });

  it('a worker with other weights refuses the job, and the run reports the shard with its reason', async () => {
    const worker = startWorker('--weights', w16);
    const out = join(tempDir(), 'refused');
    const r = await graft(
      ['embed', data, ...model, '--out', out, '--shard-size', '300', '--queue', url()],
      env(),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /shard-000000 failed: this worker's weights for resnet50-mini-fashion \(.*resnet50_w16_notop\.h5, id [0-9a-f]{16}…\) are not the ones the job was planned with/,
    );
    expect(r.stderr).toContain('1 of 1 shards failed');
    expect(existsSync(join(out, 'features.npy'))).toBe(false);
    expect(worker.log()).toContain('refused shard-000000');
    await stopWorkers();
    rmSync(out, { recursive: true });
  });

  it('predicts on the queue as one process does', async () => {
    const run = join(tempDir(), 'run');
    expect((await graft(['train', data, ...model, '--out', run], env())).status).toBe(0);
    const local = join(tempDir(), 'p-local');
    expect((await graft(['predict', run, data, '--out', local, '--shard-size', '64'], env())).status).toBe(0);
    startWorker();
    startWorker();
    const queued = join(tempDir(), 'p-queue');
    const r = await graft(
      ['predict', run, data, '--out', queued, '--shard-size', '64', '--queue', url()],
      env(),
    );
    expect(r.status, r.stderr).toBe(0);
    const read = (d: string) => readFileSync(join(d, 'predictions.jsonl'), 'utf8');
    expect(read(queued)).toBe(read(local));
    expect(read(local).trim().split('\n')).toHaveLength(300);
    await stopWorkers();
  }, 60_000);
});
