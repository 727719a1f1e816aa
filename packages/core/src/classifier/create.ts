import { backendReady, getModel, type ModelSpec } from '@graft/zoo';
import type * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type ClassifierManifest, checkManifest } from '../manifest.js';
import { createHead, HEAD_LAYER_PREFIX, headFromLayers, OUTPUT_LAYER, POOL_LAYER } from '../model/head.js';
import { Classifier } from './classifier.js';
import { DEFAULTS } from './defaults.js';
import type { BackboneInfo } from './learner.js';
import type { ClassifierOptions } from './options.js';

/** What a spec says about fine-tuning, as the classifier keeps it. */
function fineTuneFacts(
  spec: Pick<ModelSpec, 'fineTune'> | undefined,
): Pick<BackboneInfo, 'defaultFreeze' | 'stageOf'> {
  return { defaultFreeze: spec?.fineTune?.defaultFreeze, stageOf: spec?.fineTune?.stageOf };
}

/**
 * A new image classifier on a pretrained backbone: global average pooling, dropout and a softmax
 * Dense layer on top of `featureLayer`, as in the Keras transfer-learning guide.
 */
export function createClassifier(options: ClassifierOptions): Classifier {
  if (options.classes.length < 2) {
    throw new Error(`a classifier needs at least two classes, got ${options.classes.length}`);
  }
  const { spec, model } = options.backbone;
  const info: BackboneInfo = {
    id: spec.id,
    architecture: spec.architecture,
    preprocessing: spec.preprocessing,
    inputSize: options.inputSize ?? spec.inputSize,
    featureLayer: options.featureLayer ?? spec.featureLayer,
    ...fineTuneFacts(spec),
    weights: options.backbone.weights ?? { source: 'unknown', id: 'unknown' },
  };
  const topLayers = spec.topLayerNames ?? [];
  if (model.layers.some((l) => topLayers.includes(l.name))) {
    throw new Error('the backbone still has its ImageNet top; load it with includeTop: false');
  }
  try {
    model.getLayer(info.featureLayer);
  } catch {
    throw new Error(`the backbone has no layer named '${info.featureLayer}'`);
  }
  const head = createHead(options.classes.length, options.head, options.seed ?? DEFAULTS.common.seed);
  const clf = new Classifier(model, info, [...options.classes], head, {
    dropout: options.head?.dropout ?? DEFAULTS.head.dropout,
    hidden: options.head?.hidden ?? [],
  });
  clf.useServices(options);
  return clf;
}

/**
 * Loads a classifier saved by `Classifier.save` (any tfjs load handler or URL), checking its
 * manifest. The result predicts, evaluates, and can be trained further.
 */
/** The manifest's feature layer and input size must be the model's, or predictions go wrong later. */
function checkManifestFitsModel(whole: tfl.LayersModel, manifest: ClassifierManifest, where: string): void {
  if (!whole.layers.some((l) => l.name === manifest.featureLayer))
    throw new Error(
      `${where}: its manifest names the feature layer '${manifest.featureLayer}', which the model does not have (edited, or from another model)`,
    );
  const [, h, w] = whole.inputs[0]!.shape;
  const [mh, mw] = manifest.inputSize;
  if ((h !== null && h !== mh) || (w !== null && w !== mw))
    throw new Error(
      `${where}: its manifest says ${mh}×${mw} inputs but the model takes ${h}×${w} (edited, or from another model)`,
    );
}

export async function loadClassifier(source: string | tfc.io.IOHandler): Promise<Classifier> {
  const where =
    typeof source === 'string' ? source : ((source as { location?: string }).location ?? 'the saved model');
  await backendReady();
  let whole: tfl.LayersModel;
  try {
    whole = await tfl.loadLayersModel(source);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.startsWith(where)) throw err;
    throw new Error(`${where} cannot be loaded as a TF.js layers model (damaged or not a model): ${message}`);
  }
  let manifest: ClassifierManifest;
  try {
    manifest = checkManifest(
      (whole.getUserDefinedMetadata() as { graft?: unknown } | undefined)?.graft,
      where,
    );
    checkLoadedWeights(whole, manifest, where);
    checkManifestFitsModel(whole, manifest, where);
  } catch (err) {
    whole.dispose();
    throw err;
  }
  const featureOutput = whole.getLayer(manifest.featureLayer).output as tfl.SymbolicTensor;
  const backbone = tfl.model({ inputs: whole.inputs, outputs: featureOutput, name: manifest.backbone.id });
  const headLayers = whole.layers.filter(
    (l) => l.name.startsWith(HEAD_LAYER_PREFIX) && l.name !== POOL_LAYER,
  );
  if (!headLayers.some((l) => l.name === OUTPUT_LAYER)) {
    whole.dispose();
    throw new Error(`${where} has no ${OUTPUT_LAYER} layer: it is not a Graft classifier`);
  }
  const head = headFromLayers(headLayers, manifest.head.dropout);
  let spec: ModelSpec | undefined;
  try {
    spec = getModel(manifest.backbone.id);
  } catch {
    // a backbone registered by a plugin in the saving process: the manifest's record suffices
  }
  const info: BackboneInfo = {
    id: manifest.backbone.id,
    architecture: spec?.architecture ?? manifest.backbone.architecture,
    preprocessing: manifest.preprocessing,
    inputSize: manifest.inputSize,
    featureLayer: manifest.featureLayer,
    ...fineTuneFacts(spec),
    weights: manifest.backbone.weights,
  };
  const clf = new Classifier(backbone, info, [...manifest.labels], head, { ...manifest.head }, whole);
  if (manifest.strategy === 'fine-tune') clf.markBackboneChanged();
  return clf;
}

/**
 * What a saved classifier must hold to predict what it says: as many outputs as labels (else every
 * prediction would be relabelled), and finite weights (NaN would come out as `null` probabilities).
 */
function checkLoadedWeights(whole: tfl.LayersModel, manifest: ClassifierManifest, where: string): void {
  const output = whole.layers.find((l) => l.name === OUTPUT_LAYER);
  const units = output ? (output.getConfig() as { units?: number }).units : undefined;
  if (units !== undefined && units !== manifest.labels.length) {
    throw new Error(
      `${where}: the model has ${units} outputs but its manifest names ${manifest.labels.length} labels (${manifest.labels.join(', ')}): the model and its labels do not belong together`,
    );
  }
  for (const layer of whole.layers) {
    for (const weight of layer.weights) {
      const values = weight.read().dataSync() as Float32Array;
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i]!)) {
          throw new Error(
            `${where}: weight ${weight.originalName} of layer ${layer.name} holds ${values[i]} at index ${i}: the weights are damaged`,
          );
        }
      }
    }
  }
}
