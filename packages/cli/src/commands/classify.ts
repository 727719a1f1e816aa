import { toInputBatch } from '@graft/core/advanced';
import { decodePredictions, getModel, loadBackbone, preprocess } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { decodeInputs } from '../data/decode-inputs.js';
import { positiveInt, UsageError } from '../errors.js';
import { MIRROR_OPTION, startRuntime } from '../runtime/context.js';
import { createProgressBar } from '../ui/progress.js';

interface ClassifyOptions {
  model: string;
  weights?: string;
  mirror?: string;
  top: number;
  json?: boolean;
  batchSize: number;
  backend: string;
}

/** `graft classify`: the pretrained model's own (ImageNet) predictions. */
export function registerClassifyCommand(program: Command): void {
  program
    .command('classify <images...>')
    .description('ImageNet predictions of the pretrained model with its top')
    .option('--model <id>', 'zoo model', 'resnet50')
    .option(
      '--weights <weights>',
      "a pretrained variant (default the model's own, e.g. imagenet) or a Keras .h5 file with the top",
    )
    .option('--top <k>', 'classes per image', positiveInt('--top'), 5)
    .option('--batch-size <n>', 'images per forward pass', positiveInt('--batch-size'), 8)
    .option('--json', 'one JSON array of { file, predictions } on stdout, nothing else')
    .option('--backend <name>', 'auto, tensorflow-gpu, tensorflow, wasm or cpu', 'auto')
    .option(...MIRROR_OPTION)
    .action(async (files: string[], opts: ClassifyOptions) => {
      await startRuntime(opts.backend);
      const bar = createProgressBar(`downloading ${opts.model}`);
      const known = getModel(opts.model);
      const variant = known.weights[opts.weights ?? Object.keys(known.weights)[0] ?? ''];
      if (variant && !variant.top)
        throw new UsageError(
          `${known.id} has no classifier of its own to classify with (its weights come without the top): use a model with one, e.g. --model resnet50, or train your classes with graft train and run graft predict`,
        );
      const { model, spec, weights } = await loadBackbone(opts.model, {
        includeTop: true,
        weights: opts.weights,
        mirror: opts.mirror,
        onProgress: (p) => p.phase === 'download' && bar.update(p.loaded, p.total, p.rate),
      });
      bar.done();
      process.stderr.write(`graft: ${spec.id}, weights ${weights.source}\n`);
      const { images, skipped } = await decodeInputs(files, spec.inputSize);
      const results: { file: string; predictions: Awaited<ReturnType<typeof decodePredictions>>[number] }[] =
        [];
      for (let start = 0; start < images.length; start += opts.batchSize) {
        const chunk = images.slice(start, start + opts.batchSize);
        const probs = tfc.tidy(() => {
          const batch = toInputBatch(
            chunk.map((c) => c.image),
            spec.inputSize,
            chunk.map((c) => c.file),
          );
          return model.predict(preprocess(batch, spec.preprocessing)) as tfc.Tensor2D;
        });
        const decoded = await decodePredictions(probs, opts.top, spec.labels);
        probs.dispose();
        decoded.forEach((predictions, i) => {
          results.push({ file: chunk[i]!.file, predictions });
        });
      }
      model.dispose();
      if (opts.json) process.stdout.write(`${JSON.stringify(results)}\n`);
      else {
        for (const r of results) {
          process.stdout.write(`${r.file}\n`);
          for (const p of r.predictions) {
            process.stdout.write(
              `  ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.label} (${p.index})\n`,
            );
          }
        }
      }
      if (skipped.length > 0) process.exitCode = 1;
    });
}
