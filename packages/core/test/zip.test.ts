import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, readZip, writeZip } from '../src/io/zip.js';

describe('zip', () => {
  const files = {
    'model.json': new TextEncoder().encode('{"modelTopology":{}}'),
    'weights.bin': Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256),
    'graft.json': new TextEncoder().encode('{}\n'),
  };

  it('writes an archive that reads back byte for byte', async () => {
    const back = await readZip(writeZip(files));
    expect(Object.keys(back)).toEqual(Object.keys(files));
    for (const [name, data] of Object.entries(files)) expect(back[name]).toEqual(data);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('reads deflated entries, as other tools write them', async () => {
    const zip = writeZip({ 'model.json': files['model.json'] });
    // turn the stored entry into a deflated one (method 8) with the same CRC
    const deflated = deflateRawSync(files['model.json']);
    const view = new DataView(zip.buffer);
    const nameLength = view.getUint16(26, true);
    const localEnd = 30 + nameLength;
    const central = zip.subarray(localEnd + files['model.json'].length);
    const out = new Uint8Array(localEnd + deflated.length + central.length);
    out.set(zip.subarray(0, localEnd));
    out.set(deflated, localEnd);
    out.set(central, localEnd + deflated.length);
    const ov = new DataView(out.buffer);
    ov.setUint16(8, 8, true);
    ov.setUint32(18, deflated.length, true);
    const c = localEnd + deflated.length;
    ov.setUint16(c + 10, 8, true);
    ov.setUint32(c + 20, deflated.length, true);
    ov.setUint32(out.length - 22 + 16, c, true);
    expect((await readZip(out))['model.json']).toEqual(files['model.json']);
  });

  it('refuses what is not an archive, and damaged entries, by name', async () => {
    await expect(readZip(new Uint8Array(100), 'notes.zip')).rejects.toThrow('notes.zip is not a ZIP archive');
    const zip = writeZip(files);
    zip[40] = zip[40]! ^ 0xff; // inside model.json's bytes
    await expect(readZip(zip, 'model.zip')).rejects.toThrow(
      'model.zip: model.json is damaged (CRC mismatch)',
    );
  });
});
