import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The version of @graft/cli, read from its package.json. */
export const CLI_VERSION: string = (require('../package.json') as { version: string }).version;
