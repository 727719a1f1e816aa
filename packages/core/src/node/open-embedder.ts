import {
  expectedWeightsId,
  getModel,
  type LoadBackboneOptions,
  loadBackbone,
  nodePlatform,
} from '@graft/zoo';
import type { BackboneAccelerator } from '../features/accelerator.js';
import {
  createFeatureExtractor,
  type ImageEmbedder,
  openCachedFeatureExtractor,
} from '../inference/extractor.js';

/** How {@link openEmbedder} opens a zoo model's feature extractor. */
export interface OpenEmbedderOptions {
  /** A pretrained variant or a Keras .h5 path (default: the model's first variant). */
  weights?: string;
  layer?: string;
  /** The input size; the backbone is built at it (default: the model's). */
  inputSize?: [number, number];
  accelerator?: BackboneAccelerator | null;
  mirror?: string;
  onProgress?: LoadBackboneOptions['onProgress'];
  /** The weights' id when the caller has it already (null: not known before loading). */
  weightsId?: string | null;
}

/**
 * A feature extractor for a zoo model in Node: straight from the ONNX graph an earlier run
 * compiled for the same weights on `accelerator` (no tfjs model built, no weights loaded), else
 * the loaded backbone. `weights` says which weights it is, for messages and checks.
 */
export async function openEmbedder(
  modelId: string,
  options: OpenEmbedderOptions = {},
): Promise<{ embedder: ImageEmbedder; weights: { source: string; id: string }; dispose(): Promise<void> }> {
  const spec = getModel(modelId);
  const { accelerator, layer, inputSize } = options;
  if (accelerator) {
    const weightsId =
      options.weightsId === undefined
        ? await expectedWeightsId(spec.id, { weights: options.weights }, nodePlatform)
        : options.weightsId;
    const cached = weightsId
      ? await openCachedFeatureExtractor(spec, { accelerator, weightsId, layer, inputSize })
      : null;
    if (cached) {
      const variant = options.weights ?? Object.keys(spec.weights)[0];
      return {
        embedder: cached,
        weights: { source: `${variant} (compiled graph from an earlier run)`, id: weightsId! },
        dispose: () => cached.dispose(),
      };
    }
  }
  const backbone = await loadBackbone(spec.id, {
    weights: options.weights,
    mirror: options.mirror,
    onProgress: options.onProgress,
    // a convolutional backbone without its top takes any size from its smallest: built at this one
    inputShape: inputSize ? [inputSize[0], inputSize[1], 3] : undefined,
  });
  try {
    const embedder = createFeatureExtractor(backbone, { layer, inputSize, accelerator });
    return {
      embedder,
      weights: backbone.weights,
      dispose: async () => {
        await embedder.dispose();
        backbone.model.dispose();
      },
    };
  } catch (err) {
    backbone.model.dispose();
    throw err;
  }
}
