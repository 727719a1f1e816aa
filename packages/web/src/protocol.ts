import type { Prediction } from '@graft/core';

/** A TF.js backend the widget can run on, fastest first. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
/** The `backend` attribute: `auto` tries webgpu → webgl → wasm → cpu. */
export type BackendPreference = BackendName | 'auto';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Decoded 8-bit RGB pixels, row-major (the engine resizes them to the model's input). */
export interface Pixels {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * Options of `train()`. The defaults are the widget's `WIDGET_DEFAULTS` (src/defaults.ts):
 * @graft/core's `DEFAULTS` with 50 epochs and batches of 16 for feature extraction.
 */
export interface WidgetTrainOptions {
  /** `feature-extraction` (default: frozen backbone, new head) or `fine-tune` (the last stage too). */
  strategy?: 'feature-extraction' | 'fine-tune';
  /** Default 50 (feature extraction, as Teachable Machine) or 5 (fine-tuning, after one epoch on the head). */
  epochs?: number;
  /** Default 16 (both strategies). */
  batchSize?: number;
  /** Default 1e-3 (feature extraction) or 1e-4 (fine-tuning). */
  lr?: number;
  /** Fraction of each class held out to measure accuracy; 0 (default) trains on everything. */
  validationSplit?: number;
  /** Random flips, crops, brightness and contrast. Default false. */
  augment?: boolean;
  /** Seeds the head, shuffling and splitting. Default 0. */
  seed?: number;
}

/** One point of the training chart. */
export interface TrainingPoint {
  phase: string;
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** Where the engine runs and what it fell back from. */
export interface EngineInfo {
  backend: BackendName;
  /** `worker`, or `main` where a worker could not run the backend. */
  thread: 'worker' | 'main';
  /** Why a faster backend or the worker was not used; empty when nothing fell back. */
  notes: string[];
}

/** What loading a backbone gives. */
export interface BackboneReady {
  modelId: string;
  inputSize: [number, number];
}

/** A loaded trained model. */
export interface ModelReady {
  classes: string[];
  inputSize: [number, number];
  backbone: string;
  strategy: string;
}

/** The summary `train()` resolves with and `graft-trained` carries. */
export interface TrainedSummary {
  classes: string[];
  /** Each class's accuracy (recall) on the validation images, or the training ones without any. */
  perClass: { label: string; accuracy: number; images: number }[];
  measuredOn: 'validation' | 'training';
  examples: number;
  epochs: number;
  stopReason: string;
  final: TrainingPoint | null;
  seconds: number;
}

/** Files of a model folder: model.json, weights.bin, graft.json. */
export type ModelFiles = Record<string, Uint8Array>;

/** Requests from the element to the engine; each resolves to the matching reply. */
export interface EngineMethods {
  /** `wasmPaths`: the folder of tfjs-backend-wasm's `.wasm` files, or each file's URL by name. */
  init(args: { backend: BackendPreference; wasmPaths: string | Record<string, string> }): EngineInfo;
  loadBackbone(args: { modelUrl: string }): BackboneReady;
  addExamples(args: { label: string; images: Pixels[] }): number;
  removeClass(args: { label: string }): void;
  renameClass(args: { from: string; to: string }): void;
  clearExamples(): void;
  removeExample(args: { label: string; index: number }): number;
  train(args: { classes: string[]; options: WidgetTrainOptions }): TrainedSummary;
  stopTraining(): void;
  predict(args: { images: Pixels[] }): Prediction[];
  exportModel(): ModelFiles;
  loadModel(args: { url?: string; files?: ModelFiles }): ModelReady;
  saveToIndexedDB(args: { name: string }): void;
  loadFromIndexedDB(args: { name: string }): ModelReady;
  memory(): { numTensors: number; numBytes: number };
}

export type MethodName = keyof EngineMethods;
export type Args<M extends MethodName> = Parameters<EngineMethods[M]>[0];
export type Result<M extends MethodName> = ReturnType<EngineMethods[M]>;

/** Events the engine sends while it works. */
export type EngineEvent =
  | { type: 'load-progress'; loaded: number; total?: number; file: string }
  | { type: 'train-progress'; point: TrainingPoint }
  | { type: 'train-batch'; phase: string; epoch: number; epochs: number; batch: number; batches: number };

export interface RequestMessage {
  id: number;
  method: MethodName;
  args: unknown;
}

export type ReplyMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { event: EngineEvent };
