import { elementCount } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { gatherRows } from '../util/rows.js';
import { outputShapesAt } from './shapes.js';

function inboundLayers(layer: tfl.layers.Layer): tfl.layers.Layer[] {
  const node = (layer as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] })
    .inboundNodes[0];
  return node?.inboundLayers ?? [];
}

/** Where a backbone splits at `freeze`: the layers that run each step and what they read from before. */
export interface FrozenPrefixPlan {
  suffix: tfl.layers.Layer[];
  /** Frozen layers whose outputs the suffix reads. */
  boundary: tfl.layers.Layer[];
  /** Their output shapes for one example (without the batch dimension). */
  boundaryShapes: number[][];
  /** Bytes of boundary activations per example (float32). */
  bytesPerExample: number;
}

/**
 * The split of `model.layers` at `freeze`, or null when caching would not pay: nothing frozen, or
 * the feature layer not the model's last.
 */
export function planFrozenPrefix(
  model: tfl.LayersModel,
  freeze: number,
  featureLayer: string,
  inputSize: readonly [number, number],
): FrozenPrefixPlan | null {
  const layers = model.layers;
  if (freeze < 2 || layers[layers.length - 1]?.name !== featureLayer) return null;
  const index = new Map(layers.map((l, i) => [l, i]));
  const suffix = layers.slice(freeze);
  const boundary = [
    ...new Set(suffix.flatMap((l) => inboundLayers(l)).filter((l) => (index.get(l) ?? Infinity) < freeze)),
  ];
  if (boundary.length === 0) return null;
  const shapes = outputShapesAt(model, inputSize);
  const boundaryShapes = boundary.map((l) => shapes.get(l.name)!.slice(1));
  const bytesPerExample = boundaryShapes.reduce((n, s) => n + elementCount(s) * 4, 0);
  return bytesPerExample > 0 ? { suffix, boundary, boundaryShapes, bytesPerExample } : null;
}

/**
 * Tensors of boundary activations for rows `positions` of `rows` (one row-major array per
 * `plan.boundary` layer, as {@link FrozenActivations.rows} gives them or a replica receives them).
 */
export function boundaryTensors(
  plan: FrozenPrefixPlan,
  rows: readonly Float32Array[],
  positions: readonly number[],
): tfc.Tensor[] {
  return plan.boundaryShapes.map((shape, i) => {
    const size = elementCount(shape);
    return tfc.tensor(gatherRows(rows[i]!, size, positions), [positions.length, ...shape], 'float32');
  });
}

/** Runs the suffix on boundary activations (one tensor per `plan.boundary` layer); returns `featureLayer`'s output. */
export function runSuffix(
  plan: FrozenPrefixPlan,
  featureLayer: string,
  boundary: readonly tfc.Tensor[],
  training: boolean,
): tfc.Tensor4D {
  return tfc.tidy(() => {
    const values = new Map<string, tfc.Tensor>(plan.boundary.map((l, i) => [l.name, boundary[i]!]));
    for (const layer of plan.suffix) {
      const ins = inboundLayers(layer).map((l) => values.get(l.name)!);
      values.set(layer.name, layer.apply(ins.length === 1 ? ins[0]! : ins, { training }) as tfc.Tensor);
    }
    return values.get(featureLayer) as tfc.Tensor4D;
  });
}

/**
 * Rows of activations, one per example (all boundary layers' outputs, concatenated): where frozen
 * activations live between epochs. {@link memoryActivationStore} keeps float32 in JS memory (not
 * in the backend's: the wasm heap stops at 4 GB); the CLI's keeps float16 in a file.
 */
export interface ActivationStore {
  /** Writes rows `start…` (`values.length / rowLength` of them). */
  write(start: number, values: Float32Array): Promise<void>;
  /** The rows at `indices`, gathered in that order (`indices.length × rowLength` values). */
  read(indices: readonly number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Makes an {@link ActivationStore} for `rows` rows of `rowLength` float32 values. */
export type ActivationStoreFactory = (rows: number, rowLength: number) => Promise<ActivationStore>;

/** An {@link ActivationStore} in one Float32Array. */
export const memoryActivationStore: ActivationStoreFactory = async (rows, rowLength) => {
  const data = new Float32Array(rows * rowLength);
  return {
    async write(start, values) {
      data.set(values, start * rowLength);
    },
    async read(indices) {
      return gatherRows(data, rowLength, indices);
    },
    async dispose() {},
  };
};

/**
 * The frozen prefix's outputs for a fixed list of examples, computed once: without augmentation
 * the frozen layers see the same images every epoch and, in inference mode, give the same
 * outputs, so only the suffix `[freeze, …]` runs per step.
 */
export class FrozenActivations {
  private readonly sizes: number[];
  readonly rowLength: number;

  private constructor(
    readonly plan: FrozenPrefixPlan,
    readonly examples: number,
    private readonly store: ActivationStore,
    /** Bytes as float32 (what they take in memory, or would). */
    readonly bytes: number,
  ) {
    this.sizes = plan.boundaryShapes.map(elementCount);
    this.rowLength = this.sizes.reduce((a, b) => a + b, 0);
  }

  /**
   * Fills a store from `produce(start, count)`, which gives the boundary outputs of examples
   * `start…start+count` (one Float32Array per boundary layer), `chunk` examples at a time.
   */
  static async compute(
    plan: FrozenPrefixPlan,
    examples: number,
    createStore: ActivationStoreFactory,
    produce: (start: number, count: number) => Promise<Float32Array[]>,
    chunk = 32,
  ): Promise<FrozenActivations> {
    const sizes = plan.boundaryShapes.map(elementCount);
    const rowLength = sizes.reduce((a, b) => a + b, 0);
    const store = await createStore(examples, rowLength);
    try {
      for (let start = 0; start < examples; start += chunk) {
        const count = Math.min(chunk, examples - start);
        const parts = await produce(start, count);
        const rows = new Float32Array(count * rowLength);
        for (let r = 0; r < count; r++) {
          let at = r * rowLength;
          for (const [i, size] of sizes.entries()) {
            rows.set(parts[i]!.subarray(r * size, (r + 1) * size), at);
            at += size;
          }
        }
        await store.write(start, rows);
      }
    } catch (err) {
      await store.dispose();
      throw err;
    }
    return new FrozenActivations(plan, examples, store, examples * rowLength * 4);
  }

  /** The boundary activations of examples `indices`, one Float32Array per boundary layer. */
  async rows(indices: readonly number[]): Promise<Float32Array[]> {
    const gathered = await this.store.read(indices);
    const out = this.sizes.map((size) => new Float32Array(indices.length * size));
    for (let r = 0; r < indices.length; r++) {
      let at = r * this.rowLength;
      for (const [i, size] of this.sizes.entries()) {
        out[i]!.set(gathered.subarray(at, at + size), r * size);
        at += size;
      }
    }
    return out;
  }

  /** Tensors for rows `positions` of what {@link rows} returned (a micro-batch of a fetched batch). */
  tensors(fetched: readonly Float32Array[], positions: readonly number[]): tfc.Tensor[] {
    return boundaryTensors(this.plan, fetched, positions);
  }

  dispose(): Promise<void> {
    return this.store.dispose();
  }
}
