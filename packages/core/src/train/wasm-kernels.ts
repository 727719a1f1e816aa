import * as tfc from '@tensorflow/tfjs-core';

/**
 * Replaces the wasm backend's kernel `name` with `make(original)`, once: the replacement is
 * marked, so a second call (or a second copy of @graft/core) leaves it. Nothing happens where the
 * wasm backend or that kernel is not registered.
 */
export function replaceWasmKernel(name: string, make: (original: tfc.KernelConfig) => tfc.KernelFunc): void {
  const original = tfc.getKernel(name, 'wasm');
  if (!original || (original as { graft?: boolean }).graft) return;
  tfc.unregisterKernel(name, 'wasm');
  tfc.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    graft: true,
    kernelFunc: make(original),
  } as tfc.KernelConfig);
}
