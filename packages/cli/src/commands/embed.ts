import { createFeatureExtractor } from '@graft/core';
import { loadBackbone } from '@graft/zoo';
import type { Command } from 'commander';
import { imageSize, positiveInt } from '../errors.js';
import { decodeFiles } from '../images/decode-many.js';
import { ENGINE_OPTION, startEngine, startRuntime } from '../runtime/context.js';
import { createProgressBar } from '../ui/progress.js';

interface EmbedOptions {
  model: string;
  weights?: string;
  layer?: string;
  json?: boolean;
  batchSize: number;
  imageSize?: [number, number];
  backend: string;
  engine: string;
}

/** `graft embed`: pooled backbone features per image. */
export function registerEmbedCommand(program: Command): void {
  program
    .command('embed <images...>')
    .description('pooled backbone features (embeddings) for each image')
    .option('--model <id>', 'zoo model', 'resnet50')
    .option(
      '--weights <weights>',
      "a pretrained variant (default the model's own, e.g. imagenet) or a Keras .h5 file",
    )
    .option('--layer <name>', 'layer to pool features from (default: the model’s feature layer)')
    .option('--image-size <size>', 'resize images to N or HxW (default: the model’s input size)', imageSize)
    .option('--batch-size <n>', 'images per forward pass', positiveInt('--batch-size'), 8)
    .option('--json', 'one JSON array of { file, features } on stdout, nothing else')
    .option('--backend <name>', 'auto, tensorflow-gpu, tensorflow, wasm or cpu', 'auto')
    .option(...ENGINE_OPTION)
    .action(async (files: string[], opts: EmbedOptions) => {
      const engine = await startEngine(opts.engine, await startRuntime(opts.backend));
      const bar = createProgressBar(`downloading ${opts.model}`);
      const backbone = await loadBackbone(opts.model, {
        weights: opts.weights,
        onProgress: (p) => p.phase === 'download' && bar.update(p.loaded, p.total, p.rate),
      });
      bar.done();
      const extractor = createFeatureExtractor(backbone, {
        layer: opts.layer,
        inputSize: opts.imageSize,
        accelerator: engine.accelerator,
      });
      process.stderr.write(
        `graft: ${backbone.spec.id}, weights ${backbone.weights.source}, layer ${extractor.layer}, ${extractor.inputSize.join('×')} input\n`,
      );
      const { images, skipped } = await decodeFiles(files);
      const features = await extractor.extract(
        images.map((i) => i.image),
        { batchSize: opts.batchSize, names: images.map((i) => i.file) },
      );
      await extractor.dispose();
      backbone.model.dispose();
      const rows = images.map((img, i) => ({ file: img.file, features: Array.from(features[i]!) }));
      if (opts.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else
        for (const r of rows)
          process.stdout.write(`${r.file}\t${r.features.map((v) => v.toPrecision(6)).join(' ')}\n`);
      if (skipped.length > 0) process.exitCode = 1;
    });
}
