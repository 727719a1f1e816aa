import { Random } from '../util/random.js';
import { assertRgbImage, type RgbImage } from './image.js';

/** One training example: decoded pixels and a class name. */
export interface LabeledImage extends RgbImage {
  label: string;
  /** A name for messages and reports (e.g. the file path). */
  id?: string;
  /**
   * The feature-cache key of the image as it is (a merged `graft embed --out` lists one per file):
   * its features are then taken from the feature cache by this key, and the pixels may be left
   * empty (0×0, not decoded). What needs pixels — augmentation, fine-tuning, a key the cache
   * lacks — says so.
   */
  featureKey?: string;
}

/** Anything that yields labelled images: an array, a generator, an async generator. */
export type ImageSource = Iterable<LabeledImage> | AsyncIterable<LabeledImage>;

/** An example after validation: its class index is known. */
export interface Example extends LabeledImage {
  classIndex: number;
  id: string;
}

/** Reads a source into memory, checking every image and label. */
export async function collectExamples(source: ImageSource, classes: readonly string[]): Promise<Example[]> {
  const index = new Map(classes.map((c, i) => [c, i]));
  const out: Example[] = [];
  let n = 0;
  for await (const item of source as AsyncIterable<LabeledImage>) {
    const id = item.id ?? `image ${n}`;
    n++;
    if (!(item.featureKey && item.pixels.length === 0)) assertRgbImage(item, id);
    const classIndex = index.get(item.label);
    if (classIndex === undefined) {
      throw new Error(
        `${id} has label '${item.label}', which is not one of the classes (${classes.join(', ')})`,
      );
    }
    out.push({ ...item, id, classIndex });
  }
  return out;
}

/** Refuses a class list or data set that cannot be trained on, before any compute. */
export function validateTrainingSet(examples: readonly Example[], classes: readonly string[]): void {
  if (classes.length < 2) {
    throw new Error(
      `a classifier needs at least two classes, got ${classes.length}${classes.length ? ` (${classes.join(', ')})` : ''}`,
    );
  }
  const duplicates = classes.filter((c, i) => classes.indexOf(c) !== i);
  if (duplicates.length > 0)
    throw new Error(`class names must be unique; repeated: ${[...new Set(duplicates)].join(', ')}`);
  const counts = classCounts(examples, classes.length);
  const empty = classes.filter((_, i) => counts[i] === 0);
  if (empty.length > 0)
    throw new Error(
      `class${empty.length > 1 ? 'es' : ''} ${empty.map((c) => `'${c}'`).join(', ')} ha${empty.length > 1 ? 've' : 's'} no images`,
    );
}

/** Examples per class index. */
export function classCounts(examples: readonly { classIndex: number }[], numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const e of examples) counts[e.classIndex]! += 1;
  return counts;
}

/**
 * Stratified split: each class contributes `fraction` of its examples (rounded, at least one when
 * it has two or more) to validation, chosen by a seeded shuffle.
 */
export function stratifiedSplit<T extends { classIndex: number }>(
  examples: readonly T[],
  fraction: number,
  seed: number,
): { train: T[]; validation: T[] } {
  if (!(fraction > 0 && fraction < 1))
    throw new Error(`validation split must be between 0 and 1, got ${fraction}`);
  const rng = new Random(seed);
  const byClass = new Map<number, T[]>();
  for (const e of examples) {
    const list = byClass.get(e.classIndex) ?? [];
    list.push(e);
    byClass.set(e.classIndex, list);
  }
  const train: T[] = [];
  const validation: T[] = [];
  for (const key of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = rng.shuffle([...byClass.get(key)!]);
    let take = Math.round(list.length * fraction);
    if (list.length >= 2) take = Math.min(list.length - 1, Math.max(1, take));
    else take = 0;
    validation.push(...list.slice(0, take));
    train.push(...list.slice(take));
  }
  return { train, validation };
}

/**
 * Class weights that balance an imbalanced set (`'auto'`, as scikit-learn's 'balanced':
 * n / (k · count)), or the given weights by class name.
 */
export function resolveClassWeights(
  option: 'auto' | Record<string, number> | undefined,
  examples: readonly { classIndex: number }[],
  classes: readonly string[],
): number[] | undefined {
  if (option === undefined) return undefined;
  if (option === 'auto') {
    const counts = classCounts(examples, classes.length);
    return counts.map((c) => (c === 0 ? 0 : examples.length / (classes.length * c)));
  }
  for (const name of Object.keys(option)) {
    if (!classes.includes(name))
      throw new Error(`class weight given for '${name}', which is not one of the classes`);
  }
  return classes.map((c) => option[c] ?? 1);
}
