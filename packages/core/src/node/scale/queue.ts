import type { Job, Queue, Worker } from 'bullmq';
import type { Shard, ShardManifest, ShardTask } from './manifest.js';
import { missingShards } from './merge.js';
import {
  openShardProcessor,
  type ProcessorOptions,
  type ShardProcessor,
  WeightsMismatchError,
} from './processor.js';
import { finishedShardIds, isShardDone } from './shard-files.js';

/** The BullMQ queue shards travel on. */
export const QUEUE_NAME = 'graft-shards';

/** What one job carries: everything a worker needs, and what it must check before it runs. */
export interface ShardJob {
  key: string;
  outDir: string;
  task: ShardTask;
  shard: Shard;
  files: string[];
}

type BullMQ = typeof import('bullmq');
let bullmqLoading: Promise<BullMQ> | undefined;

/** bullmq, an optional peer dependency: only queue mode needs it. */
function loadBullMQ(): Promise<BullMQ> {
  bullmqLoading ??= import('bullmq').catch((err) => {
    bullmqLoading = undefined;
    throw new Error(
      `queue mode needs the package 'bullmq' (npm install bullmq): ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  return bullmqLoading;
}

/** ioredis options from a `redis://[user:password@]host:port/db` URL. */
export function redisOptions(url: string) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--queue ${url} is not a URL like redis://127.0.0.1:6379/0`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`--queue ${url} is not a redis:// URL`);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    db: Number(u.pathname.slice(1) || 0),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/** What every job id of one job begins with: they are the job key's start and the shard id. */
const jobPrefix = (manifest: Pick<ShardManifest, 'key'>) => `${manifest.key.slice(0, 20)}-`;
const jobIdOf = (manifest: Pick<ShardManifest, 'key'>, shard: Shard) => `${jobPrefix(manifest)}${shard.id}`;

/** Resolves `promise`, or rejects after `ms` with `what` (a Redis that does not answer). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** How a coordinator follows its job. */
export interface CoordinatorOptions {
  url: string;
  outDir: string;
  manifest: ShardManifest;
  files: readonly string[];
  /** Tries per shard before it is reported as failed (default 3). */
  attempts?: number;
  /** How long Redis may be unreachable before the run stops with an error (default 60 s). */
  unreachableMs?: number;
  /** How often finished shards and running progress are looked at (default 250 ms). */
  pollMs?: number;
  /** How often every unfinished job is looked up for failures and losses (default 2 s). */
  scanMs?: number;
  /** Images done (finished shards and the running ones' progress) of all. */
  onProgress?: (done: number, total: number) => void;
  onNote?: (message: string) => void;
}

/**
 * Queues every unfinished shard of `manifest` on BullMQ and follows them until each is finished
 * (its files in `outDir`) or has failed its last try. Shards Redis no longer knows (restarted
 * without its data) are queued again. Resolves with the failed shards and their errors.
 */
export async function coordinateShards(
  options: CoordinatorOptions,
): Promise<{ failed: { shard: Shard; reason: string }[] }> {
  const { Queue } = await loadBullMQ();
  const { manifest, outDir } = options;
  const connection = { ...redisOptions(options.url), enableOfflineQueue: false, maxRetriesPerRequest: 1 };
  const queue: Queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', () => {}); // reconnections are followed below, through the calls that fail
  const attempts = options.attempts ?? 3;
  const unreachableMs = options.unreachableMs ?? 60_000;
  const pollMs = options.pollMs ?? 250;
  const scanMs = options.scanMs ?? 2000;
  try {
    const refused = new Promise<never>((_, reject) => queue.once('error', reject));
    refused.catch(() => {});
    await within(Promise.race([queue.waitUntilReady(), refused]), 10_000, 'timed out').catch((err) => {
      throw new Error(
        `cannot reach Redis at ${options.url} (${err instanceof Error ? err.message : String(err)}): start redis-server there, or fix --queue`,
      );
    });
    const pending = new Map((await missingShards(outDir, manifest)).map((s) => [s.id, s]));
    const enqueue = async (shard: Shard) => {
      const jobId = jobIdOf(manifest, shard);
      const old = await queue.getJob(jobId);
      if (old && (await old.getState()) === 'failed') await old.remove(); // an earlier run's failure: try again
      const data: ShardJob = {
        key: manifest.key,
        outDir,
        task: manifest.task,
        shard,
        files: options.files.slice(shard.start, shard.start + shard.count),
      };
      await queue.add(shard.id, data, {
        jobId,
        attempts,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: true,
        removeOnFail: false,
      });
    };
    for (const shard of pending.values()) await enqueue(shard);
    const failed: { shard: Shard; reason: string }[] = [];
    let lostSince: number | null = null;
    const prefix = jobPrefix(manifest);
    let finishedImages = manifest.shards.reduce((n, s) => n + (pending.has(s.id) ? 0 : s.count), 0);
    let lastScan = Date.now();
    while (pending.size > 0) {
      await new Promise((r) => setTimeout(r, pollMs));
      try {
        // finished shards from one listing of the output folder, every poll
        const done = await finishedShardIds(outDir);
        for (const shard of [...pending.values()])
          if (done.has(shard.id)) {
            pending.delete(shard.id);
            finishedImages += shard.count;
          }
        let running = 0;
        for (const job of await within(queue.getActive(), 5000, 'Redis does not answer'))
          if (job.id?.startsWith(prefix) && typeof job.progress === 'number') running += job.progress;
        // failures, and shards Redis no longer knows: one job at a time, so only every scanMs
        if (Date.now() - lastScan >= scanMs) {
          lastScan = Date.now();
          let requeued = 0;
          for (const shard of [...pending.values()]) {
            const job: Job | undefined = await within(
              queue.getJob(jobIdOf(manifest, shard)),
              5000,
              'Redis does not answer',
            );
            if (!job) {
              await enqueue(shard); // Redis lost it (restarted without its data), or it just finished
              requeued++;
            } else if ((await job.getState()) === 'failed') {
              pending.delete(shard.id);
              failed.push({ shard, reason: job.failedReason ?? 'failed' });
            }
          }
          if (requeued > 0 && lostSince !== null)
            options.onNote?.(`Redis came back without ${requeued} queued shard(s): queued them again`);
        }
        lostSince = null;
        options.onProgress?.(Math.min(manifest.total, finishedImages + running), manifest.total);
      } catch (err) {
        lostSince ??= Date.now();
        lastScan = 0; // look at every job again once Redis answers
        if (Date.now() - lostSince > unreachableMs)
          throw new Error(
            `lost Redis at ${options.url} for ${Math.round(unreachableMs / 1000)} s (${err instanceof Error ? err.message : String(err)}): finished shards are kept in ${outDir}; run the same command again to go on`,
          );
      }
    }
    return { failed };
  } finally {
    await queue.close().catch(() => {});
  }
}

/** How a worker runs. */
export interface WorkerOptions extends ProcessorOptions {
  url: string;
  /** Shards run at once in this process (default 1: one backbone already uses the cores). */
  concurrency?: number;
  /** A job whose worker has not renewed its lock for this long is taken by another (default 30 s). */
  stallSeconds?: number;
  /** Stop when the queue has nothing left to do (default: run until `signal`). */
  exitWhenIdle?: boolean;
  signal?: AbortSignal;
  onLog?: (message: string) => void;
}

/**
 * Takes shards from the queue and runs them with the same engine as a local run, until `signal`
 * (finishing the shard in hand) or, with `exitWhenIdle`, until nothing is left. A job planned with
 * other weights than this machine has is refused (failed, not retried), naming both.
 */
export async function runShardWorker(options: WorkerOptions): Promise<{ shards: number }> {
  const { Worker, Queue, UnrecoverableError } = await loadBullMQ();
  const log = options.onLog ?? (() => {});
  const stallMs = (options.stallSeconds ?? 30) * 1000;
  let open: { key: string; processor: Promise<ShardProcessor> } | null = null;
  let shards = 0;
  const processorFor = (task: ShardTask) => {
    const key = JSON.stringify(task);
    if (open?.key !== key) {
      const previous = open?.processor;
      open = {
        key,
        processor: (async () => {
          await previous?.then((p) => p.dispose()).catch(() => {});
          return openShardProcessor(task, options);
        })(),
      };
    }
    return open.processor;
  };
  const worker: Worker = new Worker(
    QUEUE_NAME,
    async (job: Job<ShardJob>) => {
      const { outDir, task, shard, files } = job.data;
      if (await isShardDone(outDir, shard)) return 'already done';
      let processor: ShardProcessor;
      try {
        processor = await processorFor(task);
      } catch (err) {
        open = null;
        if (err instanceof WeightsMismatchError) {
          log(`refused ${shard.id}: ${err.message}`);
          throw new UnrecoverableError(err.message);
        }
        throw err;
      }
      const started = performance.now();
      await processor.run(shard, files, outDir, (done) => {
        job.updateProgress(done).catch(() => {});
      });
      shards++;
      log(`${shard.id}: ${files.length} images in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return 'done';
    },
    {
      connection: { ...redisOptions(options.url), maxRetriesPerRequest: null },
      concurrency: options.concurrency ?? 1,
      lockDuration: stallMs,
      stalledInterval: stallMs,
      maxStalledCount: 2,
    },
  );
  let lastError = '';
  worker.on('error', (err) => {
    if (err.message !== lastError) log(`queue: ${err.message}`);
    lastError = err.message;
  });
  worker.on('failed', (job, err) => {
    if (job && !(err instanceof UnrecoverableError))
      log(`${job.data.shard.id} failed (try ${job.attemptsMade}): ${err.message}`);
  });
  const stop = new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  let idleCheck: NodeJS.Timeout | undefined;
  const idle = options.exitWhenIdle
    ? new Promise<void>((resolve) => {
        const queue = new Queue(QUEUE_NAME, {
          connection: { ...redisOptions(options.url), maxRetriesPerRequest: 1 },
        });
        queue.on('error', () => {});
        idleCheck = setInterval(async () => {
          try {
            const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
            if (Object.values(counts).every((n) => n === 0)) {
              clearInterval(idleCheck);
              await queue.close();
              resolve();
            }
          } catch {
            // Redis away: keep waiting for it
          }
        }, 1000);
      })
    : new Promise<void>(() => {});
  await Promise.race([stop, idle]);
  clearInterval(idleCheck);
  await worker.close(); // finishes the shard in hand
  const last = open as { processor: Promise<ShardProcessor> } | null;
  await last?.processor.then((p) => p.dispose()).catch(() => {});
  return { shards };
}
