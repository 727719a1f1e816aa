import { readFile } from 'node:fs/promises';
import { fromFloat16, toFloat16 } from '../../util/float16.js';

/** Element types a features file holds. */
export type FeatureDtype = 'float32' | 'float16';

const DESCR: Record<FeatureDtype, string> = { float32: '<f4', float16: '<f2' };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * A 2-D `.npy` file (format 1.0, C order) of `rows` × `dim` values: what `numpy.load` reads. Rows
 * may be zero (a shard whose every image failed).
 */
export function encodeNpy(values: Float32Array, rows: number, dim: number, dtype: FeatureDtype): Uint8Array {
  if (values.length !== rows * dim)
    throw new Error(`encodeNpy: ${values.length} values are not ${rows} rows of ${dim}`);
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n', padded to a multiple of 64
  const unpadded = 10 + header.length + 1;
  header = header.padEnd(header.length + ((64 - (unpadded % 64)) % 64), ' ');
  header += '\n';
  const body =
    dtype === 'float16'
      ? new Uint8Array(toFloat16(values).buffer)
      : new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(10 + header.length + body.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

/** A 2-D float `.npy` file written by {@link encodeNpy}, as float32 values; the message names the file. */
export async function readNpy(
  path: string,
): Promise<{ values: Float32Array; rows: number; dim: number; dtype: FeatureDtype }> {
  const bytes = new Uint8Array(await readFile(path));
  const bad = (why: string) => new Error(`${path} is not a features file graft wrote (${why})`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('no .npy signature');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  const descr = /'descr': '([^']+)'/.exec(header)?.[1];
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  const dtype = (Object.keys(DESCR) as FeatureDtype[]).find((d) => DESCR[d] === descr);
  if (!dtype || !shape || /'fortran_order': True/.test(header)) throw bad(`header ${header.trim()}`);
  const [rows, dim] = [Number(shape[1]), Number(shape[2])];
  const width = dtype === 'float16' ? 2 : 4;
  const body = bytes.slice(10 + headerLength);
  if (body.byteLength !== rows * dim * width)
    throw bad(`${body.byteLength} bytes of data for ${rows} × ${dim} ${dtype}: truncated?`);
  const values =
    dtype === 'float16' ? fromFloat16(new Uint16Array(body.buffer)) : new Float32Array(body.buffer);
  return { values, rows, dim, dtype };
}
