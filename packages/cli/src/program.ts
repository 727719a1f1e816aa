import { Command } from 'commander';
import { CLI_VERSION } from './version.js';

/** Builds the `graft` command tree. Exposed so tests and hosts can run it in-process. */
export function createProgram(): Command {
  const program = new Command('graft')
    .description('Transfer learning on images: adapt a pretrained ResNet50 to your own classes.')
    .version(CLI_VERSION, '-V, --version', 'print the version of graft')
    .showHelpAfterError('(run graft --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  return program;
}
