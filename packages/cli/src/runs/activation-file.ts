import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActivationStoreFactory, fromFloat16, toFloat16 } from '@graft/core/advanced';

/**
 * Frozen-prefix activations too large for memory, as float16 in a temporary file (half the bytes;
 * ~3 significant digits, which fine-tuning does not notice). The file is removed when the phase
 * ends, or by the OS's temporary-file cleaning after a crash.
 */
export function fileActivationStore(dir: string = tmpdir()): ActivationStoreFactory {
  return async (rows, rowLength) => {
    const folder = await mkdtemp(join(dir, 'graft-activations-'));
    const path = join(folder, 'activations.f16');
    const file = await open(path, 'w+');
    const rowBytes = rowLength * 2;
    return {
      async write(start, values) {
        const halves = toFloat16(values);
        const bytes = new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength);
        await file.write(bytes, 0, bytes.length, start * rowBytes);
      },
      async read(indices) {
        const halves = new Uint16Array(indices.length * rowLength);
        const bytes = new Uint8Array(halves.buffer);
        await Promise.all(
          indices.map(async (row, i) => {
            if (row < 0 || row >= rows) throw new Error(`activation row ${row} is outside 0…${rows - 1}`);
            const { bytesRead } = await file.read(bytes, i * rowBytes, rowBytes, row * rowBytes);
            if (bytesRead !== rowBytes) throw new Error(`${path}: row ${row} was never written`);
          }),
        );
        return fromFloat16(halves);
      },
      async dispose() {
        await file.close();
        await rm(folder, { recursive: true, force: true });
      },
    };
  };
}
