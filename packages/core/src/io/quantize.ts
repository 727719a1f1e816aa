import { concatBytes, elementCount } from '@graft/zoo';
import type * as tfc from '@tensorflow/tfjs-core';
import { toFloat16 } from '../util/float16.js';

/** Weight quantisation for export, in the layout tfjs's `decodeWeights` reads. */
export type Quantization = 'float16' | 'uint8';

/**
 * Re-encodes float32 weights as float16 (half the size, ~3 significant digits) or uint8 with a
 * per-tensor affine scale (a quarter of the size), recording the quantisation in the manifest
 * entries so plain `tf.loadLayersModel` dequantises on load.
 */
export function quantizeWeights(
  specs: tfc.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  dtype: Quantization,
): { specs: tfc.io.WeightsManifestEntry[]; data: Uint8Array } {
  const parts: Uint8Array[] = [];
  const out: tfc.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = elementCount(spec.shape);
    if (spec.dtype !== 'float32' || spec.quantization) {
      const bytes = spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : 1;
      parts.push(new Uint8Array(data, offset, size * bytes));
      out.push(spec);
      offset += size * bytes;
      continue;
    }
    const values = new Float32Array(data.slice(offset, offset + size * 4));
    offset += size * 4;
    if (dtype === 'float16') {
      parts.push(new Uint8Array(toFloat16(values).buffer));
      out.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (size === 0) min = max = 0;
      const scale = max > min ? (max - min) / 255 : 1;
      const q = new Uint8Array(size);
      for (let i = 0; i < size; i++) q[i] = Math.round((values[i]! - min) / scale);
      parts.push(q);
      out.push({ ...spec, quantization: { dtype: 'uint8', min, scale } });
    }
  }
  return { specs: out, data: concatBytes(parts) };
}
