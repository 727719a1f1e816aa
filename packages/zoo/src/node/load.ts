import { createBackboneLoader } from '../load-backbone.js';
import { nodePlatform } from './platform.js';

/**
 * Loads a zoo model with its weights: `const { model, spec } = await loadBackbone('resnet50')`.
 * In Node the official weight file is downloaded once into the Graft cache (resumable, verified by
 * md5, locked against concurrent pulls), and a converted TF.js copy is kept for fast later loads.
 */
export const loadBackbone = createBackboneLoader(nodePlatform);
