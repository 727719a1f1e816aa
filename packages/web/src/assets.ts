/**
 * Where the widget's worker and tfjs's `.wasm` files are by default: beside this script, written
 * as literal `new URL('./file', import.meta.url)`s so that a host's bundler (Vite, webpack 5)
 * finds them in `@graft/web/dist` and emits them with the page. The `@vite-ignore` comments keep
 * this package's own build from resolving them; minifying drops the comments, so a host's build
 * sees the plain pattern.
 */

/** The worker, started in the pattern bundlers follow (`new Worker(new URL(…), { type: 'module' })`). */
export function startBundledWorker(): Worker {
  return new Worker(new URL(/* @vite-ignore */ './graft-worker.js', import.meta.url), {
    type: 'module',
    name: 'graft-trainer',
  });
}

/** tfjs-backend-wasm's files by name, as `setWasmPaths` takes them. */
export function bundledWasmFiles(): Record<string, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL(/* @vite-ignore */ './tfjs-backend-wasm.wasm', import.meta.url).href,
    'tfjs-backend-wasm-simd.wasm': new URL(
      /* @vite-ignore */ './tfjs-backend-wasm-simd.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL(
      /* @vite-ignore */ './tfjs-backend-wasm-threaded-simd.wasm',
      import.meta.url,
    ).href,
  };
}
