/**
 * The Web Worker that `<graft-trainer>` starts: TF.js, the backbone, training and prediction run
 * here so that the page stays responsive.
 * @packageDocumentation
 */
import { type Port, serveEngine } from './engine/serve.js';

serveEngine(globalThis as unknown as Port);
