export { createProgram } from './program.js';
export { CLI_VERSION } from './version.js';
