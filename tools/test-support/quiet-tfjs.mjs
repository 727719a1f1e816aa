// Vitest setup for every package: tfjs's production mode, as the CLI runs it, so that the cpu
// backend's "install our node backend" banner does not bury test output. Production mode only
// silences tfjs's warnings; DEBUG (which checks every kernel's output) is a separate flag.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let entry;
try {
  entry = createRequire(join(process.cwd(), 'package.json')).resolve('@tensorflow/tfjs-core');
} catch {
  // a package without tfjs (the web tests drive a browser): nothing to quiet
}
if (entry) {
  const tfc = await import(pathToFileURL(entry).href);
  tfc.enableProdMode();
}
