export { createProgram } from './program.js';
export { lineChart } from './report/write-report.js';
export { CLI_VERSION } from './version.js';
