// Bundles the widget for browsers: dist/graft-trainer.js (the element), dist/graft-worker.js (its
// Web Worker), shared chunks, and tfjs-backend-wasm's .wasm files beside them.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const require = createRequire(join(root, 'package.json'));
const wasmPackage = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));

/**
 * tfjs-backend-wasm starts its threads from a blob of `wasmFactoryThreadedSimd.toString()`: once
 * bundled and minified, that function refers to names of the module around it ("e is not
 * defined" in every thread, and `ready` never settles). The threads get the factory's own file
 * instead, which defines everything it uses.
 */
function selfContainedWasmThreads() {
  const factory = readFileSync(join(wasmPackage, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'), 'utf8');
  const blob =
    /new Blob\(\[\s*`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)\s*\]/;
  return {
    name: 'graft:self-contained-wasm-threads',
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith('tfjs-backend-wasm/dist/backend_wasm.js')) return null;
      if (!blob.test(code))
        throw new Error(`${id}: the threads' factory blob changed; update scripts/build.mjs`);
      return { code: code.replace(blob, `new Blob([${JSON.stringify(factory)}]`), map: null };
    },
  };
}

await build({
  configFile: false,
  root,
  logLevel: 'warn',
  resolve: { conditions: ['browser', 'module', 'import', 'default'] },
  plugins: [selfContainedWasmThreads()],
  build: {
    outDir: dist,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    minify: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4000,
    // The engine chunk's one static dependency (the defaults both sides share) is loaded with the
    // element already: no <link rel="modulepreload"> in the host page when the engine starts there.
    modulePreload: { resolveDependencies: () => [] },
    rollupOptions: {
      input: {
        'graft-trainer': join(root, 'src/index.ts'),
        'graft-worker': join(root, 'src/graft-worker.ts'),
      },
      preserveEntrySignatures: 'exports-only',
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
});

const wasmDir = join(wasmPackage, 'dist');
mkdirSync(dist, { recursive: true });
for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')))
  copyFileSync(join(wasmDir, file), join(dist, file));
