import { resolve } from 'node:path';
import {
  coordinateShards,
  type FeatureDtype,
  listImageFiles,
  mergeShards,
  missingShards,
  openShardProcessor,
  planShards,
  runShardsHere,
  runShardWorker,
  type ShardTask,
  shardsOfSlice,
  writeManifest,
} from '@graft/core/advanced';
import type { Command } from 'commander';
import { positiveInt, UsageError } from '../errors.js';
import { ENGINE_OPTION, MIRROR_OPTION, startEngine, startRuntime } from '../runtime/context.js';
import type { ActiveEngine } from '../runtime/engine.js';
import { createProgressBar } from '../ui/progress.js';

/** The flags of a sharded `embed` / `predict` (with `--out`). */
export interface ShardFlags {
  out?: string;
  shardSize: number;
  shard?: string;
  queue?: string;
  attempts: number;
  dtype: string;
}

/** Adds the sharding flags to `embed` and `predict`. */
export function addShardOptions(command: Command): Command {
  return command
    .option('--out <dir>', 'write shard files and a merged output into DIR instead of stdout (resumable)')
    .option('--shard-size <n>', 'images per shard (with --out)', positiveInt('--shard-size'), 1000)
    .option(
      '--shard <i/n>',
      'run only slice i of n (every n-th shard; n alone takes i from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)',
    )
    .option(
      '--queue <redis-url>',
      'queue the shards on BullMQ at this Redis for `graft worker`s, follow and merge',
    )
    .option(
      '--attempts <n>',
      'tries per shard in queue mode before it is reported failed',
      positiveInt('--attempts'),
      3,
    );
}

/** `--shard i/n` or `--shard n` with the index from a Kubernetes Indexed Job or a Slurm array. */
function parseSlice(value: string): [number, number] {
  const m = /^(?:(\d+)\/)?(\d+)$/.exec(value);
  const fromEnv = process.env.JOB_COMPLETION_INDEX ?? process.env.SLURM_ARRAY_TASK_ID;
  const index = m?.[1] ?? fromEnv;
  if (!m || index === undefined)
    throw new UsageError(
      `--shard wants i/n (e.g. 0/4), or n with JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID set; got '${value}'`,
    );
  const [i, n] = [Number(index), Number(m[2])];
  if (!(n > 0 && i >= 0 && i < n)) throw new UsageError(`--shard ${i}/${n}: want 0 ≤ i < n`);
  return [i, n];
}

/** Checks `--dtype`. */
export function featureDtype(value: string): FeatureDtype {
  if (value !== 'float32' && value !== 'float16')
    throw new UsageError(`--dtype must be float32 or float16, got '${value}'`);
  return value;
}

/**
 * A sharded run of `task` over `inputs` into `flags.out`: on a queue (followed, then merged), one
 * slice here (`--shard`), or every shard here; finished shards are never redone.
 */
export async function runSharded(
  task: ShardTask,
  inputs: string[],
  flags: ShardFlags & { batchSize: number; mirror?: string },
  engine: ActiveEngine,
): Promise<void> {
  if (flags.queue && flags.shard) throw new UsageError('give either --queue or --shard, not both');
  const out = resolve(flags.out!);
  const files = (await listImageFiles(inputs)).map((f) => resolve(f));
  const manifest = planShards(task, files, flags.shardSize);
  await writeManifest(out, manifest, files);
  const say = (m: string) => process.stderr.write(`graft: ${m}\n`);
  const shards = manifest.shards.length;
  say(
    `${files.length} images in ${shards} shard${shards === 1 ? '' : 's'} of up to ${flags.shardSize} → ${out}`,
  );
  const bar = createProgressBar(task.kind === 'embed' ? 'embedding' : 'predicting', process.stderr, 'images');
  if (flags.queue) {
    const { failed } = await coordinateShards({
      url: flags.queue,
      outDir: out,
      manifest,
      files,
      attempts: flags.attempts,
      onProgress: (done, total) => bar.update(done, total),
      onNote: say,
    });
    bar.done();
    if (failed.length > 0) {
      for (const f of failed.slice(0, 10)) say(`error: ${f.shard.id} failed: ${f.reason}`);
      throw new Error(
        `${failed.length} of ${manifest.shards.length} shards failed (finished ones are kept in ${out}; nothing was merged)`,
      );
    }
  } else {
    const [slice, slices] = flags.shard ? parseSlice(flags.shard) : [0, 1];
    const open = () =>
      openShardProcessor(task, {
        accelerator: engine.accelerator ?? undefined,
        batchSize: flags.batchSize,
        mirror: flags.mirror,
      });
    const mine = shardsOfSlice(manifest, slice, slices);
    const { ran, kept } = await runShardsHere(out, files, mine, open, (d, t) => bar.update(d, t));
    bar.done();
    say(`${flags.shard ? `slice ${slice}/${slices}: ` : ''}${ran} run, ${kept} already finished`);
    const left = await missingShards(out, manifest);
    if (left.length > 0) {
      say(`${left.length} shards are left for other slices; when they are done: graft merge ${out}`);
      return;
    }
  }
  await reportMerge(out);
}

async function reportMerge(dir: string): Promise<void> {
  const merged = await mergeShards(dir);
  process.stderr.write(
    `graft: merged ${merged.images} images (${merged.skipped.length} unreadable) into ${merged.files.map((f) => resolve(dir, f)).join(', ')}\n`,
  );
  for (const s of merged.skipped.slice(0, 20))
    process.stderr.write(`graft: warning: skipped ${s.file}: ${s.reason}\n`);
  if (merged.skipped.length > 0) process.exitCode = 1;
}

/** `graft worker` and `graft merge`. */
export function registerScaleCommands(program: Command): void {
  program
    .command('worker')
    .description('take shards from a queue (graft embed/predict --queue) and run them, until stopped')
    .requiredOption('--queue <redis-url>', 'the Redis of the queue, e.g. redis://127.0.0.1:6379/0')
    .option('--weights <file>', "this machine's weight file for the job's model (checked against the job's)")
    .option('--batch-size <n>', 'images per forward pass', positiveInt('--batch-size'), 8)
    .option(
      '--stall-seconds <s>',
      'seconds without a sign of life before another worker takes a shard',
      positiveInt('--stall-seconds'),
      30,
    )
    .option('--exit-when-idle', 'stop when the queue has nothing left (batch jobs)')
    .option('--backend <name>', 'auto, tensorflow-gpu, tensorflow, wasm or cpu', 'auto')
    .option(...ENGINE_OPTION)
    .option(...MIRROR_OPTION)
    .action(
      async (opts: {
        queue: string;
        weights?: string;
        batchSize: number;
        stallSeconds: number;
        exitWhenIdle?: boolean;
        backend: string;
        engine: string;
        mirror?: string;
      }) => {
        const engine = await startEngine(opts.engine, await startRuntime(opts.backend));
        const controller = new AbortController();
        const stop = () => {
          process.stderr.write('graft: stopping after the shard in hand\n');
          controller.abort();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.stderr.write(`graft: worker ${process.pid} on ${opts.queue}\n`);
        const { shards } = await runShardWorker({
          url: opts.queue,
          accelerator: engine.accelerator ?? undefined,
          weights: opts.weights,
          batchSize: opts.batchSize,
          mirror: opts.mirror,
          stallSeconds: opts.stallSeconds,
          exitWhenIdle: opts.exitWhenIdle,
          signal: controller.signal,
          onLog: (m) => process.stderr.write(`graft: ${m}\n`),
        });
        process.stderr.write(`graft: worker ${process.pid} ran ${shards} shards\n`);
      },
    );

  program
    .command('merge <dir>')
    .description(
      'check that every shard of a sharded embed/predict is there once, and write the merged output',
    )
    .action((dir: string) => reportMerge(dir));
}
