/**
 * @graft/web — `<graft-trainer>`, an embeddable web component that trains image classifiers in the
 * browser (WebGPU → WebGL → wasm → cpu, in a Web Worker). Importing this module defines the element.
 * @packageDocumentation
 */
import { GraftTrainer } from './trainer-element.js';

export { readZip, writeZip } from '@graft/core/advanced';
export type { GraftTrainerEventMap } from './events.js';
export { type ImageLike, toPixels } from './image.js';
export type { ModelSource } from './model-files.js';
export type {
  BackendName,
  BackendPreference,
  EngineInfo,
  ModelFiles,
  ModelReady,
  Pixels,
  TrainedSummary,
  TrainingPoint,
  WidgetTrainOptions,
} from './protocol.js';
export { GraftTrainer } from './trainer-element.js';

if (!customElements.get('graft-trainer')) customElements.define('graft-trainer', GraftTrainer);
