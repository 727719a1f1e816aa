import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The number of leading layers to freeze, with Keras's meaning: `freeze: 18` freezes
 * `model.layers[0..17]` (as `base.layers[:18].trainable = False`); a layer name freezes everything
 * up to and including that layer.
 */
export function resolveFreezeIndex(
  model: tfl.LayersModel,
  freeze: number | string,
  stageOf?: (layerName: string) => string,
): number {
  const n = model.layers.length;
  if (typeof freeze === 'number') {
    if (!Number.isInteger(freeze) || freeze < 0 || freeze > n) {
      throw new Error(
        `freeze must be a layer index from 0 to ${n} (the backbone has ${n} layers), got ${freeze}`,
      );
    }
    return freeze;
  }
  const index = model.layers.findIndex((l) => l.name === freeze);
  if (index < 0) {
    const ends = stageOf ? stageEnds(model, stageOf) : [];
    const hint = ends.length > 0 ? `; block outputs are e.g. ${ends.slice(-4).join(', ')}` : '';
    throw new Error(`the backbone has no layer named '${freeze}'${hint} (or pass a layer index)`);
  }
  return index + 1;
}

/** The last layer of each stage, in order: the natural places to freeze up to. */
function stageEnds(model: tfl.LayersModel, stageOf: (layerName: string) => string): string[] {
  const layers = model.layers;
  return layers
    .filter((l, i) => i + 1 === layers.length || stageOf(layers[i + 1]!.name) !== stageOf(l.name))
    .map((l) => l.name);
}

/** Without a spec's stages, the whole backbone is one learning-rate group. */
const ONE_STAGE = () => 'backbone';

/** The state of a backbone while part of it trains. */
export interface FrozenBackbone {
  /** Trainable variables of the unfrozen layers, grouped by stage, earliest first. */
  groups: { name: string; variables: tfc.Variable[] }[];
  /** Undoes the inference-mode patches (the `trainable` flags stay as set). */
  release(): void;
}

const BN_CLASS = 'BatchNormalization';

/**
 * Sets `trainable` on every layer (false before `index`, true from it) and, when BatchNormalization
 * layers are to train (`trainBatchNorm`), keeps the frozen ones in inference mode: their moving
 * statistics never move. With `trainBatchNorm` off the caller runs the whole backbone in inference
 * mode, which is the Keras guide's advice for fine-tuning. `stageOf` groups the unfrozen variables
 * (the spec's `fineTune.stageOf`; default one group).
 */
export function freezeBackbone(
  model: tfl.LayersModel,
  index: number,
  trainBatchNorm: boolean,
  stageOf: (layerName: string) => string = ONE_STAGE,
): FrozenBackbone {
  const patched: { layer: tfl.layers.Layer; call: tfl.layers.Layer['call'] }[] = [];
  const groups = new Map<string, tfc.Variable[]>();
  model.layers.forEach((layer, i) => {
    const frozen = i < index;
    layer.trainable = !frozen;
    if (frozen && trainBatchNorm && layer.getClassName() === BN_CLASS) {
      const call = layer.call.bind(layer);
      patched.push({ layer, call: layer.call });
      layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
    }
    if (!frozen) {
      for (const w of layer.trainableWeights) {
        const group = stageOf(layer.name);
        const list = groups.get(group) ?? [];
        list.push(w.read() as tfc.Variable);
        groups.set(group, list);
      }
    }
  });
  return {
    groups: [...groups].map(([name, variables]) => ({ name, variables })),
    release() {
      for (const { layer, call } of patched) layer.call = call;
    },
  };
}
