import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { lineChart, modelFilesOf, trainingReportHtml, writeZip } from '../src/advanced.js';
import {
  loggedBefore,
  readTrainingState,
  saveResumable,
  TRAINING_STATE_FILES,
} from '../src/node/advanced.js';
import { createClassifier, type EpochLog, loadClassifier, type TrainingState } from '../src/node/index.js';
import { colourImages, thinBackbone } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

describe('trainingReportHtml', () => {
  it('shows curves, the confusion matrix, per-class scores and the wrong images, escaped', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'] });
    const history = await clf.fit(colourImages(3, 1), { epochs: 2 });
    const evaluation = await clf.evaluate(colourImages(2, 9));
    clf.dispose();
    // one wrong prediction with a thumbnail, whatever the classifier got right
    evaluation.predictions.push({
      id: 'x<y>.png',
      label: 'red',
      predicted: 'blue',
      probability: 0.9,
      correct: false,
    });
    const asked: string[] = [];
    const html = await trainingReportHtml({
      history: history.phases.flatMap((p) => p.epochs),
      evaluation,
      strategy: 'feature-extraction',
      model: 'resnet50',
      classes: ['red', 'green', 'blue'],
      trainImages: 9,
      validationImages: 6,
      skipped: [{ path: 'bad&file.png', reason: 'is empty (0 bytes)' }],
      config: { epochs: 2 },
      thumbnail: async (id) => {
        asked.push(id);
        return 'data:image/png;base64,AAAA';
      },
    });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('9 training and 6 validation images; 1 skipped.');
    expect(html).toContain('<table class="confusion">');
    expect(html).toContain('<th>macro average</th>');
    expect(html).toContain('x&lt;y&gt;.png');
    expect(html).toContain('bad&amp;file.png');
    expect(html).toContain('src="data:image/png;base64,AAAA"');
    expect(html).toContain('&quot;epochs&quot;: 2');
    expect(asked).toContain('x<y>.png');
    expect(html.match(/<polyline/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it('says so when nothing was validated or logged', async () => {
    const html = await trainingReportHtml({ history: [], evaluation: null });
    expect(html).toContain('No validation data: no evaluation.');
    expect(html).toContain('No epochs recorded.');
    expect(lineChart('empty', [{ name: 'a', values: [undefined, Number.NaN], colour: '#000' }], 'y')).toBe(
      '',
    );
  });
});

describe('modelFilesOf', () => {
  const model = { 'model.json': new Uint8Array([123, 125]), 'weights.bin': new Uint8Array([1, 2, 3]) };

  it('reads a ZIP of a folder as the folder’s files, alone or in a list', async () => {
    const zip = writeZip({
      'graft-model/model.json': model['model.json'],
      'graft-model/weights.bin': model['weights.bin'],
      'other.txt': new Uint8Array([9]),
    });
    expect(await modelFilesOf(new Blob([zip]))).toEqual(model);
    expect(await modelFilesOf([new File([zip], 'm.zip')])).toEqual(model);
    expect(
      await modelFilesOf([
        new File([model['model.json']], 'model.json'),
        new File([model['weights.bin']], 'weights.bin'),
      ]),
    ).toEqual(model);
  });

  it('names the archive that holds no model', async () => {
    await expect(
      modelFilesOf(new File([writeZip({ 'a.txt': new Uint8Array([1]) })], 'photos.zip')),
    ).rejects.toThrow('the archive has no model.json: it is not a model exported by Graft or TF.js');
  });
});

describe('saveResumable / readTrainingState', () => {
  it('saves the model with its training state in one folder that fit resumes from', async () => {
    const train = colourImages(3, 2);
    const dir = join(mkdtempSync(join(tmpdir(), 'graft-resumable-')), 'latest');
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 3 });
    await clf.fit(train, {
      epochs: 1,
      head: 'sgd',
      callbacks: [{ onEpochEnd: () => saveResumable(clf, dir) }],
    });
    clf.dispose();
    expect(existsSync(join(dir, TRAINING_STATE_FILES.json))).toBe(true);
    const state = await readTrainingState(dir);
    expect([state.method, state.phase, state.epoch]).toEqual(['fit', 'feature-extraction', 1]);
    const again = await loadClassifier(`file://${dir}`);
    const resumed = await again.fit(train, { epochs: 2, head: 'sgd', resume: state });
    expect(resumed.phases.flatMap((p) => p.epochs).map((e) => e.epoch)).toEqual([2]);
    again.dispose();
    await expect(readTrainingState(join(dir, '..'))).rejects.toThrow(/training-state\.json/);
  });

  it('knows which logged epochs come before a state', () => {
    const state = { phase: 'fine-tune', phaseIndex: 1, epoch: 2 } as TrainingState;
    const log = (phase: string, epoch: number) => ({ phase, epoch }) as EpochLog;
    expect(loggedBefore(log('head', 5), state)).toBe(true);
    expect(loggedBefore(log('fine-tune', 2), state)).toBe(true);
    expect(loggedBefore(log('fine-tune', 3), state)).toBe(false);
    const headState = { phase: 'head', phaseIndex: 0, epoch: 1 } as TrainingState;
    expect(loggedBefore(log('head', 1), headState)).toBe(true);
    expect(loggedBefore(log('head', 2), headState)).toBe(false);
  });
});
