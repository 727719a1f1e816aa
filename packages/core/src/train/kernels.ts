import { installBatchNormGradient } from './batch-norm-gradient.js';
import { installConvGradients } from './conv-gradients.js';
import { installWasmMatMul } from './wasm-matmul.js';

/**
 * Registers the kernels and gradients training needs that tfjs does not ship for every backend:
 * convolution filter gradients (so convolutions train on wasm), wasm's transposed matmul, and the
 * BatchNormalization gradient. Idempotent; called by every strategy before it trains.
 */
export function ensureTrainingKernels(): void {
  installConvGradients();
  installWasmMatMul();
  installBatchNormGradient();
}
