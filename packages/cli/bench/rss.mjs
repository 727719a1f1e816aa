// Runs the built `graft` and reports its peak RSS on stderr at exit (for bench/suite.mjs).
process.on('exit', () => process.stderr.write(`\ngraft-bench-maxrss ${process.resourceUsage().maxRSS}\n`));
await import('../dist/bin.js');
