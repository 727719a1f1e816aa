import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureCache } from '@graft/core/advanced';
import { writeFileAtomic } from './atomic.js';

/**
 * Backbone features on disk under the Graft cache (`<GRAFT_HOME>/features/`), keyed as
 * @graft/core defines, so a second `graft train` on the same images skips the backbone.
 */
export class DiskFeatureCache implements FeatureCache {
  constructor(readonly dir: string) {}

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
    await writeFileAtomic(
      this.pathOf(key),
      new Uint8Array(features.buffer, features.byteOffset, features.byteLength),
    );
  }
}
