import { Command } from 'commander';
import { registerClassifyCommand } from './commands/classify.js';
import { registerEmbedCommand } from './commands/embed.js';
import { registerScaleCommands } from './commands/scale.js';
import { registerTrainCommand } from './commands/train.js';
import { registerModelCommands } from './commands/use-model.js';
import { registerZooCommands } from './commands/zoo.js';
import { CLI_VERSION } from './version.js';

/** Builds the `graft` command tree. Exposed so tests and hosts can run it in-process. */
export function createProgram(): Command {
  const program = new Command('graft')
    .description('Transfer learning on images: adapt a pretrained ResNet50 to your own classes.')
    .version(CLI_VERSION, '-V, --version', 'print the version of graft')
    .showHelpAfterError('(run graft --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      'after',
      `
Environment:
  GRAFT_HOME      cache folder (default $XDG_CACHE_HOME/graft or ~/.cache/graft)
  GRAFT_OFFLINE   1 = never touch the network
  GRAFT_MIRROR    base URL replacing the official weight URLs
  GRAFT_PLUGINS   modules (separated like PATH) that register extra zoo models

Exit codes: 0 ok, 1 error, 2 bad usage, 130 interrupted.`,
    );
  registerTrainCommand(program);
  registerModelCommands(program);
  registerZooCommands(program);
  registerEmbedCommand(program);
  registerClassifyCommand(program);
  registerScaleCommands(program);
  return program;
}
