import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type ClassifierManifest, MANIFEST_FORMAT_VERSION } from '../manifest.js';
import { CORE_VERSION } from '../version.js';
import type { Learner } from './learner.js';

/** What `save` writes as `graft.json` (and into model.json's metadata). */
export function manifestOf(learner: Learner): ClassifierManifest {
  const { info, record } = learner;
  return {
    format: 'graft-classifier',
    formatVersion: MANIFEST_FORMAT_VERSION,
    library: { name: '@graft/core', version: CORE_VERSION },
    labels: [...learner.classes],
    backbone: { id: info.id, architecture: info.architecture, weights: { ...info.weights } },
    featureLayer: info.featureLayer,
    inputSize: [info.inputSize[0], info.inputSize[1]],
    preprocessing: info.preprocessing,
    strategy: record.strategy,
    ...(record.freeze !== undefined ? { freeze: record.freeze } : {}),
    head: { ...learner.headConfig },
    metrics: { ...record.metrics },
    createdAt: new Date().toISOString(),
  };
}

/**
 * Saves the whole model (one TF.js layers model that plain `tf.loadLayersModel` loads) with the
 * manifest in its metadata, to any tfjs save handler or registered URL scheme.
 */
export async function saveClassifier(
  learner: Learner,
  destination: string | tfc.io.IOHandler,
): Promise<tfc.io.SaveResult> {
  const handler = resolveSaveHandler(destination);
  const { model, backbone } = learner;
  model.setUserDefinedMetadata({ graft: manifestOf(learner) });
  const inBackbone = new Set(backbone.weights.map((w) => w.id));
  const backboneWeights = model.weights.filter((w) => inBackbone.has(w.id));
  const otherWeights = model.weights.filter((w) => !inBackbone.has(w.id));
  const named = (weights: tfl.LayerVariable[]) =>
    weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  // Unchanged backbone weights are encoded once: a checkpoint per epoch then costs the head only,
  // and a save handler may recognise the same buffer (the CLI links the file it already wrote).
  const encodeBackbone = () => tfc.io.encodeWeights(named(backboneWeights));
  if (!learner.runner.weightsAsLoaded) learner.encodedBackbone = null;
  else learner.encodedBackbone ??= encodeBackbone();
  const encoded = await (learner.encodedBackbone ?? encodeBackbone());
  const rest = await tfc.io.encodeWeights(named(otherWeights));
  return handler.save!({
    modelTopology: model.toJSON(null, false) as tfc.io.ModelJSON['modelTopology'],
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: null,
    userDefinedMetadata: model.getUserDefinedMetadata() as tfc.io.ModelArtifacts['userDefinedMetadata'],
    weightSpecs: [...encoded.specs, ...rest.specs],
    weightData: [encoded.data as ArrayBuffer, rest.data as ArrayBuffer],
  });
}

/** The model as it is now, in memory, weights in one buffer: what a replica starts from. */
export async function currentArtifacts(learner: Learner): Promise<tfc.io.ModelArtifacts> {
  let captured: tfc.io.ModelArtifacts | undefined;
  await saveClassifier(
    learner,
    tfc.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return {
    ...captured!,
    weightData: tfc.io.concatenateArrayBuffers(captured!.weightData as ArrayBuffer | ArrayBuffer[]),
  };
}

/** A tfjs save handler, or the one registered for a URL scheme (`indexeddb://…`), as `LayersModel.save` resolves it. */
function resolveSaveHandler(destination: string | tfc.io.IOHandler): tfc.io.IOHandler {
  if (typeof destination !== 'string') {
    if (!destination.save) throw new Error('the save handler has no save method');
    return destination;
  }
  const handlers = tfc.io.getSaveHandlers(destination);
  if (handlers.length !== 1)
    throw new Error(
      handlers.length === 0
        ? `no tfjs save handler for '${destination}'`
        : `${handlers.length} tfjs save handlers match '${destination}'`,
    );
  return handlers[0]!;
}
