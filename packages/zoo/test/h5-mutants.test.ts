import { describe, expect, it } from 'vitest';
import { readKerasWeightFile, WeightFileError } from '../src/h5/keras-h5.js';
import { fixtureBytes } from './helpers.js';

const original = fixtureBytes('resnet50_w16_notop.h5');

/** A seeded generator, so that the mutants are the same fixed list on every run. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function mutants(): [string, Uint8Array][] {
  const random = lcg(61);
  const out: [string, Uint8Array][] = [];
  for (let i = 0; i < 50; i++) {
    const m = original.slice();
    const flips = 1 + Math.floor(random() * 3);
    for (let k = 0; k < flips; k++) m[Math.floor(random() * m.length)]! ^= 1 << Math.floor(random() * 8);
    out.push([`flip${i}.h5`, m]);
  }
  for (let i = 0; i < 10; i++)
    out.push([`truncated${i}.h5`, original.slice(0, Math.floor(random() * original.length))]);
  return out;
}

/** The file with the dataspace of the first two-entry `weight_names` grown to 2²⁴ entries. */
function hugeWeightNames(): Uint8Array {
  const m = original.slice();
  const view = new DataView(m.buffer);
  const text = new TextDecoder('latin1').decode(m);
  for (let at = text.indexOf('weight_names'); at >= 0; at = text.indexOf('weight_names', at + 1))
    for (let p = at; p < at + 80; p++)
      if (view.getBigUint64(p, true) === 2n) {
        view.setBigUint64(p, 2n ** 24n, true);
        return m;
      }
  throw new Error('no two-entry weight_names in the fixture');
}

describe('a damaged Keras .h5 file', () => {
  it('fails fast, naming the layer, when a flipped bit makes an attribute claim 2²⁴ values', () => {
    const started = Date.now();
    expect(() => readKerasWeightFile(hugeWeightNames().buffer as ArrayBuffer, 'flipped.h5')).toThrow(
      'flipped.h5 is corrupt or truncated: layer conv1_conv cannot be read (an attribute claims 16777216 values, more than the file holds)',
    );
    expect(Date.now() - started).toBeLessThan(2000); // was 13 s here, and minutes on the full file
  });

  it('either reads, or says which file is corrupt or truncated — for 60 seeded mutants, each in under a second', () => {
    const outcomes = { read: 0, refused: 0 };
    for (const [name, bytes] of mutants()) {
      const started = Date.now();
      try {
        readKerasWeightFile(bytes.buffer as ArrayBuffer, name);
        outcomes.read++; // a flipped bit inside weight values is still a readable file
      } catch (err) {
        expect(err, name).toBeInstanceOf(WeightFileError);
        const message = (err as Error).message;
        expect(message.startsWith(name), message).toBe(true);
        expect(message, name).toMatch(/corrupt|truncated|not an HDF5 file|not a dataset|no 'layer_names'/);
        expect(message, name).not.toMatch(/TypeError|RangeError|undefined|DataView/);
        outcomes.refused++;
      }
      expect(Date.now() - started, name).toBeLessThan(1000);
    }
    expect(outcomes.refused).toBeGreaterThan(10);
    expect(outcomes.read).toBeGreaterThan(10);
  });
});
