import { resolve } from 'node:path';
import { type EmbedTask, listImageFiles, openEmbedder } from '@graft/core/advanced';
import { expectedWeightsId, getModel, loadBackbone, nodePlatform } from '@graft/zoo';
import type { Command } from 'commander';
import { decodeInputs } from '../data/decode-inputs.js';
import { imageSize, positiveInt } from '../errors.js';
import { ENGINE_OPTION, MIRROR_OPTION, startEngine, startRuntime } from '../runtime/context.js';
import { createProgressBar } from '../ui/progress.js';
import { addShardOptions, featureDtype, runSharded, type ShardFlags } from './scale.js';

interface EmbedOptions extends ShardFlags {
  model: string;
  weights?: string;
  mirror?: string;
  layer?: string;
  json?: boolean;
  batchSize: number;
  imageSize?: [number, number];
  backend: string;
  engine: string;
}

/** Images decoded and embedded this many at a time: memory stays flat however many there are. */
const CHUNK_BATCHES = 4;

/** What a sharded `graft embed` plans: the weights named by their id, paths made absolute for other machines. */
async function embedTask(opts: EmbedOptions): Promise<EmbedTask> {
  const spec = getModel(opts.model);
  const weights = opts.weights && /[/\\.]/.test(opts.weights) ? resolve(opts.weights) : opts.weights;
  let weightsId = await expectedWeightsId(spec.id, { weights }, nodePlatform);
  if (!weightsId) {
    const backbone = await loadBackbone(spec.id, { weights, mirror: opts.mirror });
    weightsId = backbone.weights.id;
    backbone.model.dispose();
  }
  return {
    kind: 'embed',
    model: spec.id,
    weights,
    weightsId,
    layer: opts.layer ?? spec.featureLayer,
    inputSize: opts.imageSize ?? [spec.inputSize[0], spec.inputSize[1]],
    dtype: featureDtype(opts.dtype),
  };
}

/** `graft embed`: pooled backbone features per image. */
export function registerEmbedCommand(program: Command): void {
  const command = program
    .command('embed <images...>')
    .description('pooled backbone features (embeddings) for each image (files or folders)')
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
    .option(...MIRROR_OPTION)
    .option('--dtype <type>', 'features in the shard files as float32 or float16 (with --out)', 'float32');
  addShardOptions(command).action(async (inputs: string[], opts: EmbedOptions) => {
    const engine = await startEngine(opts.engine, await startRuntime(opts.backend));
    if (opts.out) return runSharded(await embedTask(opts), inputs, opts, engine);
    const files = await listImageFiles(inputs);
    const bar = createProgressBar(`downloading ${opts.model}`);
    const { embedder, weights, dispose } = await openEmbedder(opts.model, {
      weights: opts.weights,
      layer: opts.layer,
      inputSize: opts.imageSize,
      accelerator: engine.accelerator,
      mirror: opts.mirror,
      onProgress: (p) => p.phase === 'download' && bar.update(p.loaded, p.total, p.rate),
    });
    bar.done();
    process.stderr.write(
      `graft: ${opts.model}, weights ${weights.source}, layer ${embedder.layer}, ${embedder.inputSize.join('×')} input\n`,
    );
    // decoded, embedded and written a chunk at a time; the JSON array is written as it grows
    let skipped = 0;
    let written = 0;
    if (opts.json) process.stdout.write('[');
    const chunk = opts.batchSize * CHUNK_BATCHES;
    try {
      for (let start = 0; start < files.length; start += chunk) {
        const decoded = await decodeInputs(files.slice(start, start + chunk), embedder.inputSize);
        skipped += decoded.skipped.length;
        const features = await embedder.extract(
          decoded.images.map((i) => i.image),
          { batchSize: opts.batchSize, names: decoded.images.map((i) => i.file) },
        );
        const lines = decoded.images.map((img, i) => {
          const values = features[i]!;
          if (opts.json)
            return `${written++ === 0 ? '' : ','}${JSON.stringify({ file: img.file, features: Array.from(values) })}`;
          return `${img.file}\t${Array.from(values, (v) => v.toPrecision(6)).join(' ')}\n`;
        });
        if (lines.length > 0 && !process.stdout.write(lines.join('')))
          await new Promise((done) => process.stdout.once('drain', done));
      }
    } finally {
      await dispose();
    }
    if (opts.json) process.stdout.write(']\n');
    if (skipped > 0) process.exitCode = 1;
  });
}
