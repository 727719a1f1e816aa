import * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { elementsPerExample, outputShapesAt } from '../model/shapes.js';

/**
 * What one training step may use of the tfjs wasm backend's heap (4 GiB, never returned): the
 * rest holds weights, optimizer state, the training images and the allocator's fragmentation.
 */
export const WASM_STEP_BUDGET_BYTES = 1.25 * 2 ** 30;
/**
 * Bytes a training step holds per byte of layer output: the forward activations (kept until the
 * step ends), their gradients, and kernels' temporaries (batch norm, convolution backprop).
 * Measured on ResNet50: a 224×224 batch of 8 with every layer training exceeds the 4 GiB heap.
 */
const STEP_BYTES_PER_ACTIVATION_BYTE = 4;

/** Bytes of layer outputs one example produces from layer `from` up to `featureLayer`, at `inputSize`. */
export function activationBytesPerExample(
  model: tfl.LayersModel,
  from: number,
  featureLayer: string,
  inputSize: readonly [number, number],
): number {
  const shapes = outputShapesAt(model, inputSize);
  let bytes = 0;
  for (const layer of model.layers.slice(from)) {
    bytes += elementsPerExample(shapes.get(layer.name)!) * 4;
    if (layer.name === featureLayer) break;
  }
  return bytes;
}

/**
 * The micro-batch that keeps a training step inside the wasm heap (gradients are accumulated over
 * micro-batches, so the step is the same); the whole batch on backends without that limit.
 */
export function automaticMicroBatch(
  model: tfl.LayersModel,
  from: number,
  featureLayer: string,
  inputSize: readonly [number, number],
  batchSize: number,
): number {
  if (tfc.getBackend() !== 'wasm') return batchSize;
  const perExample =
    activationBytesPerExample(model, from, featureLayer, inputSize) * STEP_BYTES_PER_ACTIVATION_BYTE;
  return Math.max(1, Math.min(batchSize, Math.floor(WASM_STEP_BUDGET_BYTES / perExample)));
}
