import { concatBytes, layersFeeding, sha256Hex } from '@graft/zoo';
import type * as tfl from '@tensorflow/tfjs-layers';

/** What a frozen backbone must compute: these layers' outputs, pooled or whole (NHWC). */
export interface AcceleratorRequest {
  outputs: string[];
  mode: 'pooled' | 'nhwc';
  inputSize: readonly [number, number];
  /** Identifies the weights up to the outputs (a hash of them): runners may be cached under it. */
  weightsKey: string;
}

/** A frozen backbone compiled for a faster engine; frees native memory on `dispose`. */
export interface AcceleratedRunner {
  /** One Float32Array per requested output, for `batch` preprocessed NHWC images in `input`. */
  run(input: Float32Array, batch: number): Promise<Float32Array[]>;
  dispose(): Promise<void> | void;
}

/**
 * Runs the frozen part of a backbone on an engine faster than tfjs on this machine — ONNX Runtime
 * in Node (`@graft/cli`'s `--engine onnx`). tfjs stays the training engine: only layers that do not
 * train (feature extraction; the frozen prefix in fine-tuning) go through an accelerator. It sees
 * the weights the tfjs model holds now, so both agree (to 1e-4, tested).
 */
export interface BackboneAccelerator {
  /** Shown to people, e.g. `onnxruntime-node 1.30 (cpu, 2 threads)`. */
  readonly name: string;
  /** A runner for `model`'s current weights, or null when this engine cannot run that model. */
  prepare(model: tfl.LayersModel, request: AcceleratorRequest): Promise<AcceleratedRunner | null>;
  /**
   * A runner for what an earlier `prepare` compiled under the same request (weights key, outputs,
   * mode, size) and kept in its cache, without the tfjs model; null when nothing is kept.
   */
  open?(request: AcceleratorRequest): Promise<AcceleratedRunner | null>;
}

/**
 * A weights key from what identifies the weights as loaded (`LoadedBackbone.weights.id`, a hash of
 * the file they came from) instead of hashing every tensor; null for random weights, which no
 * identifier names, and for weights of unknown origin (a backbone given without
 * `weights`). Valid only while the backbone holds those weights unchanged.
 */
export async function weightsKeyFromIdentity(backboneId: string, weightsId: string): Promise<string | null> {
  if (weightsId === 'random' || weightsId === 'unknown') return null;
  return sha256Hex(new TextEncoder().encode(`graft-weights|${backboneId}|${weightsId}`));
}

/** A content hash of the weights that `outputs` depend on (which layers, in order, and their values). */
export async function weightsKeyOf(model: tfl.LayersModel, outputs: readonly string[]): Promise<string> {
  const needed = layersFeeding(model, outputs);
  const parts: Uint8Array[] = [];
  for (const layer of model.layers) {
    if (!needed.has(layer.name)) continue;
    for (const w of layer.getWeights()) {
      const data = w.dataSync() as Float32Array;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      parts.push(bytes);
    }
  }
  return sha256Hex(concatBytes(parts));
}
