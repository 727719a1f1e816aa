import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getModel } from '@graft/zoo';
import { describe, expect, it } from 'vitest';
import { CLI_DEFAULTS } from '../src/commands/train/defaults.js';
import type { TrainFlags } from '../src/commands/train/flags.js';
import { parseRunConfig, readResumedRun, runConfigOf } from '../src/commands/train/run-config.js';
import { tempDir } from './helpers.js';

const flags = (more: Partial<TrainFlags>): TrainFlags => ({
  strategy: 'feature-extraction',
  model: 'resnet50',
  head: 'auto',
  schedule: 'constant',
  optimizer: 'adam',
  dropout: 0.2,
  seed: 0,
  backend: 'auto',
  engine: 'auto',
  maxPixels: 1e8,
  workers: 'auto',
  ...more,
});
const facts = {
  spec: getModel('resnet50'),
  weights: { source: 'imagenet', id: 'abc' },
  classes: ['cat', 'dog'],
  imageSize: [224, 224] as [number, number],
  backend: 'wasm',
  engine: 'onnx',
};

describe("graft train's run config", () => {
  it("resolves unset options to the CLI's defaults: @graft/core's, with its own few", () => {
    expect(CLI_DEFAULTS.featureExtraction).toEqual({ epochs: 20, batchSize: 32, lr: 1e-3 });
    expect(CLI_DEFAULTS.fineTune).toMatchObject({
      headEpochs: 2,
      epochs: 5,
      batchSize: 16,
      lr: 1e-4,
      lrMult: 1,
    });
    expect(runConfigOf('data', flags({}), facts)).toMatchObject({
      epochs: 20,
      batchSize: 32,
      lr: 1e-3,
      validation: { split: 0.2 },
      augment: false,
      dropout: 0.2,
    });
    const fineTune = runConfigOf('data', flags({ strategy: 'fine-tune' }), facts);
    expect(fineTune).toMatchObject({
      freeze: 'conv4_block6_out',
      headEpochs: 2,
      epochs: 5,
      batchSize: 16,
      lr: 1e-4,
    });
    expect(fineTune.lrMult).toBe(1);
    // a backbone whose spec names no default freezes where core's classifier decides
    const { fineTune: _, ...bare } = facts.spec;
    expect(
      runConfigOf('data', flags({ strategy: 'fine-tune' }), { ...facts, spec: bare }).freeze,
    ).toBeUndefined();
  });

  it('reads a config.json back into the flags --resume continues with', async () => {
    const out = tempDir('graft-run-config-');
    const saved = runConfigOf(
      'data',
      flags({
        strategy: 'fine-tune',
        freeze: '143',
        epochs: 3,
        val: 'val',
        classWeights: 'auto',
        earlyStop: 2,
      }),
      facts,
    );
    writeFileSync(
      join(out, 'config.json'),
      JSON.stringify({ ...saved, interruptedAt: 'now', completedEpochs: 1 }),
    );
    const call = flags({ out, backend: 'cpu', epochs: 9, json: true });
    const resumed = await readResumedRun('data', call);
    expect(resumed.config).toMatchObject({ ...JSON.parse(JSON.stringify(saved)), completedEpochs: 1 });
    expect(resumed.flags).toEqual({
      ...call,
      strategy: 'fine-tune',
      model: 'resnet50',
      weights: undefined,
      freeze: '143',
      head: 'auto',
      l2: undefined,
      epochs: 3,
      headEpochs: 2,
      batchSize: 16,
      lr: 1e-4,
      lrMult: 1,
      val: 'val',
      valSplit: undefined,
      imageSize: [224, 224],
      augment: false,
      classWeights: 'auto',
      earlyStop: 2,
      resume: true,
    });
  });

  it('checks every field it reads back, naming the first that is wrong', () => {
    const saved = JSON.parse(JSON.stringify(runConfigOf('data', flags({}), facts)));
    const { head: _, ...beforeHead } = saved;
    expect(parseRunConfig(beforeHead).head).toBe('auto');
    expect(() => parseRunConfig({ ...saved, epochs: '20' })).toThrow('epochs should be a number');
    expect(() => parseRunConfig({ ...saved, validation: {} })).toThrow('split should be a number');
    expect(() => parseRunConfig([])).toThrow('should be a JSON object');
  });
});
