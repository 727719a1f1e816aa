// Bundles the widget for browsers: dist/graft-trainer.js (the element), dist/graft-worker.js (its
// Web Worker), shared chunks, and tfjs-backend-wasm's .wasm files beside them.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

await build({
  configFile: false,
  root,
  logLevel: 'warn',
  resolve: { conditions: ['browser', 'module', 'import', 'default'] },
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

const require = createRequire(join(root, 'package.json'));
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
mkdirSync(dist, { recursive: true });
for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')))
  copyFileSync(join(wasmDir, file), join(dist, file));
