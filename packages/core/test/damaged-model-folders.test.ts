import { cpSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, fileLoadHandler, loadClassifier } from '../src/node/index.js';
import { colourImages, thinBackbone } from './helpers.js';

let saved: string;

beforeAll(async () => {
  await tfc.setBackend('cpu');
  const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'] });
  await clf.fit(colourImages(2, 1));
  saved = join(mkdtempSync(join(tmpdir(), 'graft-damaged-')), 'model');
  await clf.save(`file://${saved}`);
  clf.dispose();
});

/** A copy of the saved folder with `damage` done to it. */
function damaged(damage: (dir: string) => void): string {
  const dir = `${saved}-${Math.random().toString(36).slice(2)}`;
  cpSync(saved, dir, { recursive: true });
  damage(dir);
  return dir;
}

function editManifest(
  dir: string,
  // biome-ignore lint/suspicious/noExplicitAny: model.json is edited freely, as a damaged copy
  edit: (graft: Record<string, unknown>, json: Record<string, any>) => void,
) {
  const path = join(dir, 'model.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  edit(json.userDefinedMetadata.graft, json);
  writeFileSync(path, JSON.stringify(json));
}

describe('a damaged model folder is refused, naming the folder and what is wrong', () => {
  it('weights.bin truncated, or a weight shape edited in model.json', async () => {
    const truncated = damaged((dir) => truncateSync(join(dir, 'weights.bin'), 1000));
    await expect(loadClassifier(fileLoadHandler(truncated))).rejects.toThrow(
      new RegExp(
        `^${truncated}: its weight files hold 1000 bytes but model.json describes \\d+ \\(a truncated file`,
      ),
    );
    const reshaped = damaged((dir) =>
      editManifest(dir, (_g, json) => {
        const w = json.weightsManifest[0].weights.at(-1);
        w.shape = [w.shape[0] + 1];
      }),
    );
    await expect(loadClassifier(fileLoadHandler(reshaped))).rejects.toThrow(
      /its weight files hold (\d+) bytes but model\.json describes (?!\1)\d+/,
    );
  });

  it('a manifest with labels, feature layer or input size that are not the model’s', async () => {
    const labels = damaged((dir) => editManifest(dir, (g) => (g.labels as string[]).push('extra')));
    await expect(loadClassifier(fileLoadHandler(labels))).rejects.toThrow(
      `${labels}: the model has 3 outputs but its manifest names 4 labels`,
    );
    const layer = damaged((dir) => editManifest(dir, (g) => Object.assign(g, { featureLayer: 'nope' })));
    await expect(loadClassifier(fileLoadHandler(layer))).rejects.toThrow(
      `${layer}: its manifest names the feature layer 'nope', which the model does not have`,
    );
    const size = damaged((dir) => editManifest(dir, (g) => Object.assign(g, { inputSize: [48, 48] })));
    await expect(loadClassifier(fileLoadHandler(size))).rejects.toThrow(
      `${size}: its manifest says 48×48 inputs but the model takes 32×32`,
    );
  });

  it('model.json that tfjs cannot build names the folder', async () => {
    const broken = damaged((dir) =>
      editManifest(dir, (_g, json) => {
        json.modelTopology.config.layers[1].class_name = 'NoSuchLayer';
      }),
    );
    await expect(loadClassifier(fileLoadHandler(broken))).rejects.toThrow(
      new RegExp(`^${broken} cannot be loaded as a TF.js layers model \\(damaged or not a model\\): `),
    );
  });
});
