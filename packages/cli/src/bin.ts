#!/usr/bin/env node
import { createProgram } from './program.js';

const program = createProgram();
program.exitOverride((err) => {
  // Commander's own exits: help and version are successes, bad usage is exit code 2.
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
  process.exit(err.exitCode === 0 ? 0 : 2);
});
await program.parseAsync(process.argv);
