import * as tfc from '@tensorflow/tfjs-core';
import { replaceWasmKernel } from './wasm-kernels.js';

let installed = false;

/**
 * Makes the wasm backend's `BatchMatMul` transpose its operands explicitly before multiplying.
 * tfjs-wasm's own kernel runs a transposed operand 2–8× slower than a transpose followed by a
 * plain product, and every dense-layer gradient asks for one (`dy · Wᵀ`, `xᵀ · dy`), so training a
 * head on wasm spent most of its time there. Results are the same products (tested against the
 * `cpu` backend). Idempotent; @graft/core calls it before it trains.
 */
export function installWasmMatMul(): void {
  if (installed) return;
  installed = true;
  const transpose = tfc.getKernel('Transpose', 'wasm');
  if (!transpose) return;
  replaceWasmKernel('BatchMatMul', (original) => (args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original.kernelFunc(args);
    const backend = args.backend as tfc.KernelBackend;
    const temporary: tfc.TensorInfo[] = [];
    const swapLastTwo = (x: tfc.TensorInfo) => {
      const rank = x.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      const t = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tfc.TensorInfo;
      temporary.push(t);
      return t;
    };
    const { a, b } = args.inputs as { a: tfc.TensorInfo; b: tfc.TensorInfo };
    try {
      return original.kernelFunc({
        inputs: { a: transposeA ? swapLastTwo(a) : a, b: transposeB ? swapLastTwo(b) : b },
        backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temporary) backend.disposeData(t.dataId);
    }
  });
}
