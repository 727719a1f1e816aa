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
export async function loadClassifier(source: string | tfc.io.IOHandler): Promise<Classifier> {
  const where = typeof source === 'string' ? source : 'the saved model';
  await backendReady();
  const whole = await tfl.loadLayersModel(source);
  let manifest: ClassifierManifest;
  try {
    manifest = checkManifest(
      (whole.getUserDefinedMetadata() as { graft?: unknown } | undefined)?.graft,
      where,
    );
    checkLoadedWeights(whole, manifest, where);
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
