import * as hdf5 from 'jsfive';
import { elementCount } from '../util/arrays.js';

/** One weight of one layer, as stored in a Keras HDF5 weight file. */
export interface KerasWeight {
  /** The full name in the file, e.g. `conv1_conv/kernel:0`. */
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The content of a Keras 2 legacy HDF5 weight file (`model.save_weights('x.h5')`). */
export interface KerasWeightFile {
  /** What the file is called, for error messages. */
  fileName: string;
  /** Every layer in `model.layers` order, weightless ones included. */
  layerNames: string[];
  /** Weights per layer name, in the file's `weight_names` order. */
  weights: Map<string, KerasWeight[]>;
  kerasVersion?: string;
  backend?: string;
}

/** Thrown for any weight file that cannot be read or does not fit the model. */
export class WeightFileError extends Error {
  constructor(
    message: string,
    readonly fileName: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WeightFileError';
  }
}

/** The older, same-named ResNet50 file from fchollet/deep-learning-models (v0.2). */
const LEGACY_LAYER_HINTS = ['bn_conv1', 'res2a_branch2a', 'fc1000'];

/** Fixed-length HDF5 strings come NUL-padded from jsfive; bytes may arrive undecoded. */
function cleanString(value: unknown): string | null {
  if (typeof value === 'string') return value.replace(/\0+$/, '');
  if (value instanceof Uint8Array) return new TextDecoder().decode(value).replace(/\0+$/, '');
  return null;
}

/** A string-list attribute; an empty float64 array (what Keras writes for "no weights") is []. */
function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? [value] : Array.from(value as ArrayLike<unknown>);
  const out: string[] = [];
  for (const item of items) {
    const s = cleanString(item);
    if (s !== null) out.push(s);
  }
  return out;
}

/** Reads an attribute that Keras may split into `name0`, `name1`, … when it is very long. */
function splitAttribute(attrs: Record<string, unknown>, name: string): string[] | undefined {
  if (name in attrs) return stringList(attrs[name]);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) out.push(...stringList(attrs[`${name}${i}`]));
  return out;
}

function isHdf5(buffer: ArrayBuffer): boolean {
  const sig = new Uint8Array(buffer, 0, Math.min(8, buffer.byteLength));
  const expected = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return sig.length === 8 && expected.every((b, i) => sig[i] === b);
}

/**
 * Parses a Keras 2 legacy HDF5 weight file (the format of the official keras-applications
 * files). Fixed-length (h5py 2) and variable-length (h5py 3) strings are both understood, and so
 * are `layer_names0..N` split attributes.
 * @param buffer the whole file
 * @param fileName shown in error messages
 */
export function readKerasWeightFile(buffer: ArrayBuffer, fileName = 'weights.h5'): KerasWeightFile {
  if (!isHdf5(buffer)) {
    throw new WeightFileError(
      `${fileName} is not an HDF5 file (${buffer.byteLength} bytes, no HDF5 signature): expected a Keras .h5 weight file`,
      fileName,
    );
  }
  // jsfive's own errors (RangeError, TypeError, strings) mean a damaged file; say so, with where
  const corrupt = (where: string, err: unknown) =>
    err instanceof WeightFileError
      ? err
      : new WeightFileError(
          `${fileName} is corrupt or truncated: ${where} cannot be read${err instanceof SizeError ? ` (${err.message})` : ''}`,
          fileName,
          err,
        );
  let file: hdf5.File;
  let layerNames: string[] | undefined;
  try {
    file = new hdf5.File(buffer, fileName);
    boundAttributeReads(file);
    layerNames = splitAttribute(file.attrs, 'layer_names');
  } catch (err) {
    throw corrupt('its header', err);
  }
  if (layerNames === undefined) {
    const hint =
      'model_weights' in Object.fromEntries(file.keys.map((k) => [k, 1]))
        ? ' It looks like a whole saved model (model.save), not model.save_weights; load the weights group instead.'
        : '';
    throw new WeightFileError(
      `${fileName} has no 'layer_names' attribute: it is not a Keras weight file.${hint}`,
      fileName,
    );
  }
  const weights = new Map<string, KerasWeight[]>();
  for (const layerName of layerNames) {
    try {
      weights.set(layerName, readLayer(file, layerName, buffer.byteLength, fileName));
    } catch (err) {
      throw corrupt(`layer ${layerName}`, err);
    }
  }
  const kerasVersion = cleanString(file.attrs.keras_version) ?? undefined;
  const backend = cleanString(file.attrs.backend) ?? undefined;
  return { fileName, layerNames, weights, kerasVersion, backend };
}

function readLayer(file: hdf5.File, layerName: string, fileBytes: number, fileName: string): KerasWeight[] {
  let group: hdf5.Group | hdf5.Dataset;
  try {
    group = file.get(layerName);
  } catch {
    throw new WeightFileError(
      `${fileName} lists layer ${layerName} but has no group for it (corrupt file?)`,
      fileName,
    );
  }
  const names = stringList(group.attrs.weight_names);
  const layerWeights: KerasWeight[] = [];
  for (const name of names) {
    let ds: hdf5.Group | hdf5.Dataset | undefined;
    try {
      ds = (group as hdf5.Group).get(name);
    } catch {}
    if (ds === undefined)
      throw new WeightFileError(
        `${fileName}: weight ${name} of layer ${layerName} is missing (corrupt file?)`,
        fileName,
      );
    if (!(ds instanceof hdf5.Dataset))
      throw new WeightFileError(
        `${fileName}: weight ${name} of layer ${layerName} is not a dataset`,
        fileName,
      );
    const shape = [...ds.shape];
    const expectedSize = elementCount(shape);
    const fast = contiguousFloat32(ds);
    // a damaged dataspace can claim billions of values: refuse before jsfive allocates them
    if (!fast && expectedSize > fileBytes)
      throw new SizeError(`weight ${name} claims ${expectedSize} values, more than the whole file holds`);
    const raw = fast ?? (ds.value as ArrayLike<number>);
    if (raw.length !== expectedSize) {
      throw new WeightFileError(
        `${fileName}: weight ${name} of layer ${layerName} has ${raw.length} values for shape [${shape.join(', ')}] (truncated file?)`,
        fileName,
      );
    }
    layerWeights.push({ name, shape, values: raw instanceof Float32Array ? raw : Float32Array.from(raw) });
  }
  return layerWeights;
}

/** A size in the file that cannot be right: more data than the file holds. */
class SizeError extends Error {}

const bounded = Symbol('graft: attribute reads bounded');

interface AttributeReader {
  _attr_value(dtype: unknown, buf: ArrayBuffer, count: number, offset: number): unknown[];
  [bounded]?: true;
}

/** The bytes one value of an attribute takes: vlen items are a 16-byte heap id, fixed ones say. */
function attributeItemBytes(dtype: unknown): number {
  if (Array.isArray(dtype)) return dtype[0] === 'REFERENCE' ? 8 : 16;
  return Number(/(\d+)$/.exec(String(dtype))?.[1] ?? 1) || 1;
}

/**
 * jsfive reads an attribute's values in a loop of the count its dataspace claims: one flipped bit
 * there (2²⁴ names instead of 2) runs for minutes. Bound the count by the bytes left in the buffer
 * (patched once on jsfive's data-object class, pinned jsfive version).
 */
function boundAttributeReads(file: hdf5.File): void {
  const objects = (file as unknown as { _dataobjects?: object })._dataobjects;
  const reader = objects && (Object.getPrototypeOf(objects) as AttributeReader);
  if (!reader || reader[bounded] || typeof reader._attr_value !== 'function') return;
  const read = reader._attr_value;
  reader._attr_value = function (dtype, buf, count, offset) {
    if (count * attributeItemBytes(dtype) > buf.byteLength - offset)
      throw new SizeError(`an attribute claims ${count} values, more than the file holds`);
    return read.call(this, dtype, buf, count, offset);
  };
  reader[bounded] = true;
}

/** jsfive's private data-object API, used for the fast path below (pinned jsfive version). */
interface JsfiveDataObjects {
  fh: ArrayBuffer;
  dtype: unknown;
  find_msg_type(type: number): { get(key: string): number }[];
  _get_data_message_properties(offset: number): [number, number, number, number];
}
const DATA_STORAGE_MSG_TYPE = 0x0008;

/**
 * A contiguous little-endian float32 dataset copied straight out of the file (what every Keras
 * weight is), instead of jsfive's element-by-element read. Null where the layout is anything else,
 * so the caller falls back to jsfive's general path.
 */
export function contiguousFloat32(ds: { readonly shape: number[] }): Float32Array | null {
  try {
    const objects = (ds as unknown as { _dataobjects?: JsfiveDataObjects })._dataobjects;
    if (objects?.dtype !== '<f4') return null;
    const message = objects.find_msg_type(DATA_STORAGE_MSG_TYPE)[0];
    if (!message) return null;
    const [, , layoutClass, propertyOffset] = objects._get_data_message_properties(
      message.get('offset_to_message'),
    );
    if (layoutClass !== 1) return null;
    const offset = Number(new DataView(objects.fh).getBigUint64(propertyOffset, true));
    const count = elementCount(ds.shape);
    if (offset + count * 4 > objects.fh.byteLength) return null; // truncated: let jsfive report it
    return new Float32Array(objects.fh.slice(offset, offset + count * 4));
  } catch {
    return null;
  }
}

/**
 * Explains why a file is the old fchollet/deep-learning-models ResNet50 (same file name, other
 * layer names, padding and epsilon), or returns null when it is not.
 */
export function legacyResNet50Reason(file: KerasWeightFile): string | null {
  if (file.layerNames.includes('conv1_conv')) return null;
  const found = LEGACY_LAYER_HINTS.filter((n) => file.layerNames.includes(n));
  if (found.length === 0) return null;
  return (
    `${file.fileName} is the old ResNet50 weight file from fchollet/deep-learning-models (it has layers ` +
    `${found.join(', ')} and no conv1_conv). That network differs from keras.applications.ResNet50 ` +
    '(other padding and BatchNormalization epsilon) and its weights would give wrong results. Use the ' +
    'keras-applications file instead (graft zoo pull resnet50, or graft zoo import with the file from ' +
    'storage.googleapis.com/tensorflow/keras-applications/resnet/).'
  );
}

/** `conv1_conv/kernel:0` → `kernel`; the short name tf.layers uses for the same variable. */
export function shortWeightName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.replace(/:\d+$/, '').replace(/_\d+$/, '');
}
