import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULTS } from '../classifier/defaults.js';
import { Random } from '../util/random.js';

/** The new classifier on top of the backbone. */
export interface HeadOptions {
  /** Dropout rate before the last layer. Default 0.2. */
  dropout?: number;
  /** Hidden Dense+ReLU layers between pooling and the output, by width. Default none. */
  hidden?: number[];
}

/** Names of the layers Graft adds, so that a saved model can be taken apart again. */
export const HEAD_LAYER_PREFIX = 'graft_';
export const POOL_LAYER = 'graft_pool';
export const OUTPUT_LAYER = 'graft_predictions';

/** The head's layers, created once and shared by the head-only and the whole model. */
export interface Head {
  layers: tfl.layers.Layer[];
  /** Applies the head (without pooling) to a symbolic pooled feature tensor, inference mode. */
  apply(x: tfl.SymbolicTensor): tfl.SymbolicTensor;
  /**
   * Applies the head to concrete features. With `dropoutSeed`, dropout is on with a mask drawn
   * from that seed (so that a run is reproducible); without, the head runs in inference mode.
   */
  forward(x: tfc.Tensor2D, dropoutSeed?: number): tfc.Tensor2D;
}

export function createHead(numClasses: number, options: HeadOptions = {}, seed?: number): Head {
  const layers: tfl.layers.Layer[] = [];
  (options.hidden ?? []).forEach((units, i) => {
    layers.push(
      tfl.layers.dense({
        units,
        activation: 'relu',
        name: `${HEAD_LAYER_PREFIX}hidden${i + 1}`,
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      }),
    );
  });
  const rate = options.dropout ?? DEFAULTS.head.dropout;
  if (rate > 0) layers.push(tfl.layers.dropout({ rate, name: `${HEAD_LAYER_PREFIX}dropout` }));
  layers.push(
    tfl.layers.dense({
      units: numClasses,
      activation: 'softmax',
      name: OUTPUT_LAYER,
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    }),
  );
  return headFromLayers(layers, rate);
}

/** A head over existing layers (made here, or found in a saved model by their names). */
export function headFromLayers(layers: tfl.layers.Layer[], dropoutRate: number): Head {
  return {
    layers,
    apply(x) {
      let y = x;
      for (const layer of layers) y = layer.apply(y) as tfl.SymbolicTensor;
      return y;
    },
    forward(x, dropoutSeed) {
      return tfc.tidy(() => {
        let y: tfc.Tensor = x;
        for (const layer of layers) {
          if (layer.getClassName() !== 'Dropout') y = layer.apply(y) as tfc.Tensor;
          else if (dropoutSeed !== undefined) {
            // dropout drawn from a seed the training loop controls, so that runs repeat exactly; the
            // mask is made in JS (tfjs's seeded randomUniform costs more than the rest of the step)
            const rng = new Random(dropoutSeed);
            const scale = 1 / (1 - dropoutRate);
            const mask = new Float32Array(y.size);
            for (let i = 0; i < mask.length; i++) mask[i] = rng.next() >= dropoutRate ? scale : 0;
            y = tfc.mul(y, tfc.tensor(mask, y.shape));
          }
        }
        return y as tfc.Tensor2D;
      });
    },
  };
}

/** backbone → global average pooling of `featureLayer` → head: one model, shared weights. */
export function buildWholeModel(
  backbone: tfl.LayersModel,
  featureLayer: string,
  head: Head,
): tfl.LayersModel {
  const features = backbone.getLayer(featureLayer).output as tfl.SymbolicTensor;
  const pooled = tfl.layers
    .globalAveragePooling2d({ name: POOL_LAYER })
    .apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: backbone.inputs, outputs: head.apply(pooled), name: 'graft_classifier' });
}
