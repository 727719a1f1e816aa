/**
 * @graft/zoo for browsers and workers: the portable API, with `loadBackbone` keeping converted
 * models in Cache Storage.
 * @packageDocumentation
 */
import { createBackboneLoader } from '../load-backbone.js';
import { browserPlatform } from './platform.js';

export * from '../index.js';
export { BROWSER_CACHE_NAME, browserPlatform } from './platform.js';

/** Loads a zoo model; pass `modelUrl` (a folder made by `graft zoo export`) in the browser. */
export const loadBackbone = createBackboneLoader(browserPlatform);
