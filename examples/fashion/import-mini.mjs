#!/usr/bin/env node
// Imports the demo backbone that examples/fashion/pretrain_torch.py wrote as a Keras-layout
// ResNet50 .h5 through Graft's own .h5 reader, checks its pooled features against the ones
// PyTorch computed for the same images (through Graft's own resize and 'caffe' preprocessing), and
// writes the converted TF.js folder into packages/zoo/assets/resnet50-mini-fashion/ with a sha256
// per shard, plus examples/fashion/pretrain-result.json (the run's record).
//
//   node examples/fashion/import-mini.mjs /tmp/mini.h5 --record /tmp/mini.json
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toInputBatch } from '@graft/core/advanced';
import {
  convertModel,
  getModel,
  loadWeightsFromKerasH5,
  preprocess,
  writeConvertedFolder,
  ZOO_VERSION,
} from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadFashion, rgbImage } from './idx.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    record: { type: 'string' },
    out: { type: 'string', default: join(here, '../../packages/zoo/assets/resnet50-mini-fashion') },
  },
});
const h5 = positionals[0];
if (!h5 || !args.record) {
  console.error('usage: node examples/fashion/import-mini.mjs FILE.h5 --record RUN.json');
  process.exit(2);
}
await tfc.setBackend('wasm');
const record = JSON.parse(readFileSync(args.record, 'utf8'));
const { width_divisor: widthDivisor, size } = record.args;
// the zoo entry's own network (multi-layer pooling included): what loadBackbone will build
const spec = getModel('resnet50-mini-fashion');
if (spec.featureSize * widthDivisor !== 448 * 8 || spec.inputSize[0] !== size) {
  console.error(
    `the zoo entry (${spec.inputSize.join('×')}, ${spec.featureSize} features) does not match the run (${size}×${size}, widths / ${widthDivisor})`,
  );
  process.exit(1);
}
const model = spec.build({ initialize: false });
const report = loadWeightsFromKerasH5(model, new Uint8Array(readFileSync(h5)));
console.log(`read ${h5}: ${report.loadedLayers} layers, ${report.loadedWeights} weights`);

// the features PyTorch computed must come out of Graft's pipeline too
const check = JSON.parse(readFileSync(`${h5}.check.json`, 'utf8'));
const test = loadFashion('t10k');
const images = check.t10k.map((i) => rgbImage(test, i));
let worst = 0;
for (const [layer, expected] of Object.entries(check.pooled)) {
  const probe = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layer).output });
  const got = tfc.tidy(() =>
    tfc.mean(probe.predict(preprocess(toInputBatch(images, [size, size]), 'caffe')), [1, 2]).arraySync(),
  );
  for (const [i, row] of got.entries()) {
    for (const [j, v] of row.entries()) {
      const e = expected[i][j];
      worst = Math.max(worst, Math.abs(v - e) / Math.max(1e-3, Math.abs(e)));
    }
  }
}
console.log(`pooled features match PyTorch's to a relative error of ${worst.toExponential(2)}`);
if (!(worst < 1e-3)) {
  console.error('the imported backbone does not compute what PyTorch trained: refusing to write it');
  process.exit(1);
}

const files = await convertModel(
  model,
  {
    model: 'resnet50-mini-fashion',
    includeTop: false,
    preprocessing: 'caffe',
    source: { fileName: 'examples/fashion/pretrain_torch.py' },
  },
  `@graft/zoo ${ZOO_VERSION} (examples/fashion/import-mini.mjs)`,
);
await writeConvertedFolder(args.out, files);
const result = {
  backbone: 'resnet50-mini-fashion',
  architecture: `the Keras ResNet50 layers and names, widths / ${widthDivisor}, ${size}×${size}×3 input`,
  data: `Fashion-MNIST domain A (tshirt-top, trouser, pullover, dress, coat), train indices below 50,000: ${record.trainImages} images`,
  recipe: record.args,
  history: record.history,
  domainATestAccuracy: record.domainATestAccuracy,
  domainATestImages: record.domainATestImages,
  seconds: record.seconds,
  machine: `PyTorch ${record.torch} on ${record.threads} CPU threads`,
  importCheck: { images: images.length, maxRelativeError: worst },
  shards: files.manifest.shards,
};
writeFileSync(join(here, 'pretrain-result.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${args.out}; shards ${JSON.stringify(files.manifest.shards)}`);
