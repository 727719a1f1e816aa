import {
  ensureWeightFile,
  exportBackbone,
  getModel,
  graftHome,
  importWeightFile,
  listModels,
  listWeightFiles,
  MODEL_JSON_FILE,
  removeCachedModel,
  verifyCache,
} from '@graft/zoo';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { startRuntime } from '../runtime/context.js';
import { createProgressBar, formatBytes } from '../ui/progress.js';

function variantOf(id: string, variant: string) {
  const spec = getModel(id);
  const weights = spec.weights[variant];
  if (!weights) {
    const known = Object.keys(spec.weights);
    throw new UsageError(
      `${id} has no '${variant}' weights${known.length ? ` (it has ${known.join(', ')})` : ''}`,
    );
  }
  return { spec, weights };
}

/** `graft zoo …`: the model cache. */
export function registerZooCommands(program: Command): void {
  const zoo = program
    .command('zoo')
    .description('list, download, import, verify and export pretrained models');

  zoo
    .command('list')
    .description('models in the zoo, their weight files, and which are cached')
    .option('--json', 'one JSON array on stdout')
    .action(async (opts: { json?: boolean }) => {
      const files = await listWeightFiles();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(files, null, 2)}\n`);
        return;
      }
      for (const spec of listModels()) {
        process.stdout.write(`${spec.id}  ${spec.title}${spec.demo ? '  [demo backbone]' : ''}\n`);
        const mine = files.filter((f) => f.model === spec.id);
        for (const [variant, w] of Object.entries(spec.weights)) {
          if (w.bundled)
            process.stdout.write(`    ${variant.padEnd(10)} notop   bundled with @graft/zoo (no download)\n`);
        }
        if (mine.length === 0 && !Object.values(spec.weights).some((w) => w.bundled)) {
          process.stdout.write('    (no pretrained weights to download)\n');
        }
        for (const f of mine) {
          process.stdout.write(
            `    ${f.variant.padEnd(10)} ${(f.top ? 'top' : 'notop').padEnd(6)} ${formatBytes(f.bytes).padStart(9)}  ${f.cached ? `cached  ${f.path}` : 'not cached'}\n`,
          );
        }
      }
    });

  zoo
    .command('pull <model>')
    .description('download a model’s weight file into the cache, verified by md5')
    .option('--top', 'the file with the ImageNet classifier (default: without)')
    .option('--weights <variant>', "pretrained variant (default the model's first, e.g. imagenet)")
    .option('--mirror <url>', 'base URL that replaces the official one (an air-gapped mirror)')
    .action(async (id: string, opts: { top?: boolean; weights?: string; mirror?: string }) => {
      const variant = opts.weights ?? Object.keys(getModel(id).weights)[0] ?? 'imagenet';
      const { spec, weights } = variantOf(id, variant);
      const file = opts.top ? weights.top : weights.notop;
      if (!file && weights.bundled && !opts.top) {
        process.stderr.write(`${id}'s ${variant} weights are bundled with @graft/zoo: nothing to download\n`);
        return;
      }
      if (!file)
        throw new UsageError(`${id} has no ${variant} weight file${opts.top ? ' with the top' : ''}`);
      const bar = createProgressBar(`pulling ${file.fileName}`);
      const path = await ensureWeightFile(spec, file, {
        mirror: opts.mirror,
        onProgress: (p) => bar.update(p.loaded, p.total, p.rate),
        onWait: () =>
          process.stderr.write(`waiting for another process that is downloading ${file.fileName}…\n`),
      });
      bar.done();
      process.stdout.write(`${path}\n`);
    });

  zoo
    .command('import <model> <file>')
    .description('copy a hand-carried official weight file into the cache (its md5 must match)')
    .action(async (id: string, file: string) => {
      const result = await importWeightFile(id, file);
      process.stderr.write(`imported ${file} as ${id} ${result.variant} (${result.file.fileName})\n`);
      process.stdout.write(`${result.path}\n`);
    });

  zoo
    .command('verify')
    .description('re-hash every cached weight file; a damaged one is deleted')
    .action(async () => {
      const results = await verifyCache();
      for (const r of results)
        process.stdout.write(
          `${r.ok ? 'ok     ' : 'DAMAGED'} ${r.path}${r.problem ? ` (${r.problem}; deleted, pull it again)` : ''}\n`,
        );
      if (results.length === 0) process.stderr.write(`nothing cached under ${graftHome()}\n`);
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });

  zoo
    .command('path')
    .description('print the cache folder (GRAFT_HOME)')
    .action(() => {
      process.stdout.write(`${graftHome()}\n`);
    });

  zoo
    .command('rm <model>')
    .description('delete a model’s cached files and converted copies')
    .action(async (id: string) => {
      process.stdout.write(`removed ${await removeCachedModel(id)}\n`);
    });

  zoo
    .command('export <model>')
    .description(`write a model as a TF.js layers folder (${MODEL_JSON_FILE} + shards) for a web app`)
    .requiredOption('--out <dir>', 'folder to write')
    .option('--top', 'keep the ImageNet classifier')
    .option(
      '--weights <weights>',
      "a pretrained variant (default the model's own), a Keras .h5 file, or 'none' for random weights",
    )
    .option('--backend <name>', 'auto, tensorflow-gpu, tensorflow, wasm or cpu', 'auto')
    .action(async (id: string, opts: { out: string; top?: boolean; weights?: string; backend: string }) => {
      await startRuntime(opts.backend);
      const bar = createProgressBar(`downloading ${id}`);
      const out = await exportBackbone(id, opts.out, {
        includeTop: opts.top ?? false,
        weights: opts.weights === 'none' ? null : opts.weights,
        onProgress: (p) => p.phase === 'download' && bar.update(p.loaded, p.total, p.rate),
      });
      bar.done();
      process.stdout.write(`${out}\n`);
    });
}
