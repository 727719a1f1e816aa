#!/usr/bin/env node
import type { Command } from 'commander';
import { EXIT } from './errors.js';
import { loadPlugins } from './plugins.js';
import { createProgram } from './program.js';

function fail(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`graft: error: ${message}\n`);
  const code = (err as { exitCode?: number }).exitCode;
  process.exit(code === EXIT.usage ? EXIT.usage : EXIT.error);
}

// `graft predict … | head`: a reader that closed our stdout wants no more, which is not a failure
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  fail(err);
});

const program = createProgram();
// Commander's own exits, on every command and subcommand: help and version are successes, bad
// usage (a missing option, an unknown flag) is exit code 2.
(function overrideExits(command: Command) {
  command.exitOverride((err) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      process.exit(EXIT.ok);
    process.exit(EXIT.usage);
  });
  for (const sub of command.commands) overrideExits(sub);
})(program);
try {
  await loadPlugins();
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err);
}
