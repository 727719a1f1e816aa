import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { outputShapesAt } from './shapes.js';

/**
 * The outputs of a backbone's frozen prefix, computed once for a fixed set of inputs, and a way to
 * run only the unfrozen suffix from them. Without augmentation the frozen layers see the same
 * images every epoch and, in inference mode, give the same outputs: running them again each epoch
 * is wasted work. Only layers `[freeze, …]` run per step.
 */
export interface FrozenPrefixCache {
  /** Runs the suffix for the cached examples at `indices`; returns `featureLayer`'s output. */
  suffix(indices: number[], training: boolean): tfc.Tensor4D;
  /** Bytes held by the cached activations. */
  readonly bytes: number;
  dispose(): void;
}

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
  const bytesPerExample = boundaryShapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1) * 4, 0);
  return bytesPerExample > 0 ? { suffix, boundary, boundaryShapes, bytesPerExample } : null;
}

/**
 * Caches what the suffix `model.layers[freeze..]` reads from the prefix, for `inputs` (already
 * preprocessed), or returns null when that would not pay: nothing frozen, the feature layer not the
 * model's last, or activations above `maxBytes`.
 */
export function cacheFrozenPrefix(
  model: tfl.LayersModel,
  freeze: number,
  featureLayer: string,
  inputs: tfc.Tensor4D,
  maxBytes: number,
): FrozenPrefixCache | null {
  const plan = planFrozenPrefix(model, freeze, featureLayer, [inputs.shape[1], inputs.shape[2]]);
  if (!plan || plan.bytesPerExample * inputs.shape[0] > maxBytes) return null;
  const probe = tfl.model({
    inputs: model.inputs,
    outputs: plan.boundary.map((l) => l.output as tfl.SymbolicTensor),
  });
  const parts: tfc.Tensor[][] = plan.boundary.map(() => []);
  for (let start = 0; start < inputs.shape[0]; start += 64) {
    const outs = tfc.tidy(() => {
      const n = Math.min(64, inputs.shape[0] - start);
      const x = tfc.slice(inputs, [start, 0, 0, 0], [n, -1, -1, -1]);
      const y = probe.predict(x);
      return Array.isArray(y) ? y : [y];
    });
    for (const [i, t] of outs.entries()) parts[i]!.push(t);
  }
  const cached = plan.boundary.map((_, i) => tfc.concat(parts[i]!, 0));
  for (const list of parts) tfc.dispose(list);
  return frozenPrefixFromActivations(plan, featureLayer, cached);
}

/**
 * A frozen-prefix cache over boundary activations computed elsewhere (e.g. by ONNX Runtime), one
 * tensor per `plan.boundary` layer; it takes ownership of them.
 */
export function frozenPrefixFromActivations(
  plan: FrozenPrefixPlan,
  featureLayer: string,
  activations: tfc.Tensor[],
): FrozenPrefixCache {
  const cached = new Map(plan.boundary.map((l, i) => [l.name, activations[i]!]));
  const examples = activations[0]!.shape[0]!;
  return {
    bytes: plan.bytesPerExample * examples,
    suffix(indices, training) {
      return tfc.tidy(() => {
        const values = new Map<string, tfc.Tensor>();
        for (const [name, t] of cached) values.set(name, tfc.gather(t, indices));
        for (const layer of plan.suffix) {
          const ins = inboundLayers(layer).map((l) => values.get(l.name)!);
          values.set(layer.name, layer.apply(ins.length === 1 ? ins[0]! : ins, { training }) as tfc.Tensor);
        }
        return values.get(featureLayer) as tfc.Tensor4D;
      });
    },
    dispose() {
      tfc.dispose([...cached.values()]);
    },
  };
}
