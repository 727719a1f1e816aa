import * as tfc from '@tensorflow/tfjs-core';

/**
 * Waits for the host app's TensorFlow.js backend to be ready (`tf.ready()`), so that
 * `import '@tensorflow/tfjs-backend-wasm'` followed at once by a Graft call works; with no backend
 * registered at all, says which packages provide one.
 */
export async function backendReady(): Promise<void> {
  try {
    await tfc.ready();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `no TensorFlow.js backend could start (${reason}): install and import one before using Graft — @tensorflow/tfjs-backend-wasm, @tensorflow/tfjs-backend-webgl, @tensorflow/tfjs-backend-webgpu or @tensorflow/tfjs-backend-cpu (in Node also @tensorflow/tfjs-node)`,
    );
  }
}
