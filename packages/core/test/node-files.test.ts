import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, loadClassifier } from '../src/node/index.js';
import { colourImages, thinBackbone } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

describe("@graft/core's Node entry: file:// model folders", () => {
  it('saves with clf.save(file://…) and loads back with loadClassifier and plain tf.loadLayersModel', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'] });
    const train = colourImages(4, 1);
    await clf.fit(train);
    const dir = join(mkdtempSync(join(tmpdir(), 'graft-files-')), 'model');
    await clf.save(`file://${dir}`);
    expect(readdirSync(dir).sort()).toEqual(['graft.json', 'model.json', 'weights.bin']);
    expect(JSON.parse(readFileSync(join(dir, 'graft.json'), 'utf8')).labels).toEqual([
      'red',
      'green',
      'blue',
    ]);
    await clf.save(`file://${dir}`); // replaces it whole, leaving nothing beside it
    expect(readdirSync(join(dir, '..'))).toEqual(['model']);
    const again = await loadClassifier(`file://${dir}`);
    const test = colourImages(2, 2);
    expect((await again.predict(test)).map((p) => p.label)).toEqual(
      (await clf.predict(test)).map((p) => p.label),
    );
    const plain = await tfl.loadLayersModel(`file://${dir}`);
    expect(plain.outputs[0]!.shape).toEqual([null, 3]);
    plain.dispose();
    again.dispose();
    clf.dispose();
    await expect(loadClassifier(`file://${dir}-missing`)).rejects.toThrow(
      /has no model\.json: not a model folder/,
    );
    expect(existsSync(`${dir}-missing`)).toBe(false);
  });
});
