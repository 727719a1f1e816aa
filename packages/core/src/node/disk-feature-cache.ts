import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { whyUnwritable } from '@graft/zoo';
import type { FeatureCache } from '../features/cache.js';
import { writeFileAtomic } from './atomic.js';

/**
 * Backbone features on disk, one file per key (the CLI's is `<GRAFT_HOME>/features/`), so that a
 * second run on the same images skips the backbone. Written atomically; a damaged or missing file
 * reads as a miss. A folder that cannot be written (read-only, full) leaves features uncached
 * with one `warn`: the run goes on.
 */
export class DiskFeatureCache implements FeatureCache {
  private unwritable = false;

  constructor(
    readonly dir: string,
    private readonly options: { warn?: (message: string) => void } = {},
  ) {}

  private pathOf(key: string): string {
    const h = createHash('sha256').update(key).digest('hex');
    return join(this.dir, h.slice(0, 2), `${h}.f32`);
  }

  async get(key: string): Promise<Float32Array | undefined> {
    try {
      const bytes = await readFile(this.pathOf(key));
      if (bytes.byteLength % 4 !== 0) return undefined;
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    } catch {
      return undefined;
    }
  }

  async set(key: string, features: Float32Array): Promise<void> {
    if (this.unwritable) return;
    try {
      await writeFileAtomic(
        this.pathOf(key),
        new Uint8Array(features.buffer, features.byteOffset, features.byteLength),
      );
    } catch (err) {
      this.unwritable = true;
      this.options.warn?.(
        `cannot keep backbone features in ${this.dir} (${whyUnwritable(err)}): the next run computes them again`,
      );
    }
  }
}
