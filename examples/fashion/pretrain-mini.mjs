#!/usr/bin/env node
// Pretrains the demo backbone `resnet50-mini-fashion` with Graft's own training code:
// a thin ResNet50 (the Keras layers and names, widths / 8, 32×32 RGB input) trained from random
// weights on Fashion-MNIST domain A (T-shirt/top, Trouser, Pullover, Dress, Coat: 30,000 images).
// The backbone (without the classifier) is written, with a sha256 per shard, into
// packages/zoo/assets/resnet50-mini-fashion/, where the zoo entry of the same name loads it.
//
//   node examples/fashion/pretrain-mini.mjs [--epochs 3] [--images 30000] [--seed 0]
//
// Runs on the tfjs wasm backend (its convolution gradient comes from @graft/core). Runtime on
// the 2-core reference machine: see examples/fashion/pretrain-result.json (written at the end).
import '@tensorflow/tfjs-backend-wasm';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClassifier } from '@graft/core';
import { buildResNet50, convertModel, getModel, writeConvertedFolder, ZOO_VERSION } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { DOMAIN_A, FASHION_CLASSES, firstPerClass, loadFashion, rgbImage } from './idx.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    images: { type: 'string', default: '30000' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: join(here, '../../packages/zoo/assets/resnet50-mini-fashion') },
  },
});
const epochs = Number(args.epochs);
const perClass = Math.floor(Number(args.images) / DOMAIN_A.length);
const seed = Number(args.seed);

await tfc.setBackend('wasm');
tfc.enableProdMode();
const started = Date.now();
const train = loadFashion('train');
const test = loadFashion('t10k');
const classes = DOMAIN_A.map((c) => FASHION_CLASSES[c]);
const toExample = (split, name) => (i) => ({
  ...rgbImage(split, i),
  label: FASHION_CLASSES[split.labels[i]],
  id: `${name}-${i}`,
});
const trainImages = firstPerClass(train, DOMAIN_A, perClass).map(toExample(train, 'train'));
const valImages = firstPerClass(test, DOMAIN_A, 200).map(toExample(test, 't10k'));
const testImages = firstPerClass(test, DOMAIN_A, 1000).map(toExample(test, 't10k'));

const model = buildResNet50({ widthDivisor: 8, inputShape: [32, 32, 3] });
const spec = { ...getModel('resnet50'), id: 'resnet50-mini-fashion', inputSize: [32, 32], featureSize: 256 };
const clf = createClassifier({
  backbone: { model, spec, weights: { source: 'random initialisation', id: 'random' } },
  classes,
  seed,
});
console.log(
  `pretraining on ${trainImages.length} domain-A images (${classes.join(', ')}), ${epochs} epochs, wasm backend`,
);
const history = await clf.fit(trainImages, {
  strategy: 'fine-tune',
  freeze: 0,
  trainBatchNorm: true,
  epochs,
  batchSize: 128,
  lr: 2e-3,
  schedule: 'one-cycle',
  validation: valImages,
  seed,
  onProgress: (e) => {
    if (e.type === 'epoch') {
      const l = e.log;
      console.log(
        `epoch ${l.epoch}/${epochs}: loss ${l.loss.toFixed(4)} acc ${l.accuracy.toFixed(4)} val_loss ${l.val_loss.toFixed(4)} val_acc ${l.val_accuracy.toFixed(4)} (${l.seconds.toFixed(0)}s)`,
      );
    } else if (e.batch % 40 === 0) {
      console.log(
        `  batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(3)} ${e.imagesPerSecond.toFixed(0)} img/s`,
      );
    }
  },
});
const evaluation = await clf.evaluate(testImages);
console.log(
  `domain-A test accuracy ${(evaluation.accuracy * 100).toFixed(2)}% on ${evaluation.examples} images`,
);

const files = await convertModel(
  model,
  {
    model: 'resnet50-mini-fashion',
    includeTop: false,
    preprocessing: 'caffe',
    source: { fileName: 'examples/fashion/pretrain-mini.mjs' },
  },
  `@graft/zoo ${ZOO_VERSION} (examples/fashion/pretrain-mini.mjs)`,
);
await writeConvertedFolder(args.out, files);
const seconds = (Date.now() - started) / 1000;
const result = {
  backbone: 'resnet50-mini-fashion',
  architecture: 'Keras ResNet50, widths / 8, 32×32×3 input',
  data: `Fashion-MNIST domain A (${classes.join(', ')}): ${trainImages.length} training images`,
  epochs,
  seed,
  history: history.phases[0].epochs,
  domainATestAccuracy: evaluation.accuracy,
  domainATestImages: evaluation.examples,
  shards: files.manifest.shards,
  seconds,
  machine: `${(await import('node:os')).cpus().length} cores, Node ${process.version}, tfjs wasm`,
};
writeFileSync(join(here, 'pretrain-result.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `wrote ${args.out} in ${seconds.toFixed(0)}s; shard sha256 ${files.manifest.shards.map((s) => s.sha256).join(', ')}`,
);
clf.dispose();
