/** @deprecated import it from `@graft/core/advanced`. */
export { lineChart } from '@graft/core/advanced';
export { createProgram } from './program.js';
export { CLI_VERSION } from './version.js';
