import * as tfc from '@tensorflow/tfjs-core';
import { replaceWasmKernel } from './wasm-kernels.js';

type Pad = 'valid' | 'same' | number | tfc.backend_util.ExplicitPadding;

/**
 * The gradient of a Conv2D with respect to its filter, from ops every backend has: for each
 * kernel offset (i, j), the strided input patch as a matrix times the output gradient,
 * `dW[i, j] = patch(i, j)ᵀ · dy`. It is what lets convolutions train on the wasm backend, which
 * ships no `Conv2DBackpropFilter` kernel.
 */
export function conv2dFilterGradient(
  x: tfc.Tensor4D,
  dy: tfc.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tfc.Tensor4D {
  return tfc.tidy(() => {
    const info = tfc.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
    const { top, bottom, left, right } = info.padInfo;
    const [kh, kw, cin, cout] = filterShape;
    const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
    const padded =
      top || bottom || left || right
        ? tfc.pad(x, [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ])
        : x;
    if (kh === 1 && kw === 1) {
      // a 1×1 convolution: one strided slice and one matrix product
      const n = x.shape[0];
      const whole = sh === 1 && sw === 1 && padded.shape[1] === oh && padded.shape[2] === ow;
      // a stride-1 1×1 convolution reads every input position: no copy through stridedSlice
      const patch = whole
        ? padded
        : tfc.stridedSlice(
            padded,
            [0, 0, 0, 0],
            [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, cin],
            [1, sh, sw, 1],
          );
      // an explicit transpose: tfjs-wasm's matMul with transposeA is ~10× slower than this
      const dw = tfc.matMul(
        tfc.transpose(tfc.reshape(patch, [n * oh * ow, cin])),
        tfc.reshape(dy, [n * oh * ow, cout]),
      );
      return tfc.reshape(dw, [1, 1, cin, cout]) as tfc.Tensor4D;
    }
    // The filter gradient is the correlation of the input with dy, dilated by the stride: with the
    // batch as the contracted "channel" axis it is one convolution, which every backend runs fast.
    const input = tfc.transpose(padded, [3, 1, 2, 0]); // [cin, H, W, n]
    const kernel = tfc.transpose(dy, [1, 2, 0, 3]); // [oh, ow, n, cout]
    const full = tfc.conv2d(input as tfc.Tensor4D, kernel as tfc.Tensor4D, 1, 'valid', 'NHWC', [sh, sw]); // [cin, >=kh, >=kw, cout]
    const cropped = tfc.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]);
    return tfc.transpose(cropped, [1, 2, 0, 3]) as tfc.Tensor4D;
  });
}

/**
 * The filter rotated 180° with its channel axes swapped (`[kh, kw, cout, cin]`), as the input
 * gradient convolves with it; done in JS, as tfjs-wasm's `Reverse` takes ~0.4 s on a 3×3×512×512
 * filter and this ~10 ms.
 */
function flippedFilter(filter: tfc.Tensor4D): tfc.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const values = filter.dataSync() as Float32Array;
  const out = new Float32Array(values.length);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
      const to = (i * kw + j) * cout * cin;
      for (let c = 0; c < cin; c++)
        for (let o = 0; o < cout; o++) out[to + o * cin + c] = values[from + c * cout + o]!;
    }
  return tfc.tensor4d(out, [kh, kw, cout, cin]);
}

/**
 * The gradient of a Conv2D with respect to its input, as ops wasm runs fast (XNNPACK's
 * convolution and matrix product) instead of tfjs-wasm's own `Conv2DBackpropInput`, which is
 * several times slower: a 1×1 convolution is one matrix product (spread over the stride), a
 * stride-1 convolution is the convolution of the padded output gradient with the flipped filter.
 * Returns null for what it does not cover (strided convolutions larger than 1×1).
 */
export function conv2dInputGradient(
  dy: tfc.Tensor4D,
  filter: tfc.Tensor4D,
  inputShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tfc.Tensor4D | null {
  const [kh, kw, cin, cout] = filter.shape;
  const info = tfc.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode);
  const { top, bottom, left, right } = info.padInfo;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const [n, h, w] = inputShape;
  if (kh === 1 && kw === 1 && top === 0 && left === 0) {
    return tfc.tidy(() => {
      const v = tfc.reshape(
        tfc.matMul(tfc.reshape(dy, [n * oh * ow, cout]), tfc.transpose(tfc.reshape(filter, [cin, cout]))),
        [n, oh, ow, cin],
      );
      if (sh === 1 && sw === 1 && oh === h && ow === w) return v as tfc.Tensor4D;
      // each output position came from input (y·sh, x·sw); the other input positions get zero
      const spread = tfc.reshape(
        tfc.pad(tfc.reshape(v, [n, oh, 1, ow, 1, cin]), [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ]),
        [n, oh * sh, ow * sw, cin],
      );
      const fitted = tfc.slice(spread, [0, 0, 0, 0], [n, Math.min(h, oh * sh), Math.min(w, ow * sw), cin]);
      return tfc.pad(fitted, [
        [0, 0],
        [0, h - fitted.shape[1]!],
        [0, w - fitted.shape[2]!],
        [0, 0],
      ]) as tfc.Tensor4D;
    });
  }
  const pads = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
  if (sh !== 1 || sw !== 1 || pads.some((p) => p < 0)) return null;
  return tfc.tidy(() => {
    const padded = tfc.pad(dy, [
      [0, 0],
      [pads[0]!, pads[1]!],
      [pads[2]!, pads[3]!],
      [0, 0],
    ]);
    return tfc.conv2d(padded as tfc.Tensor4D, flippedFilter(filter), 1, 'valid');
  });
}

/** Runs `compute` on a kernel's inputs as tensors and hands the engine a buffer of its own. */
function kernelFromOps(
  inputs: tfc.NamedTensorInfoMap,
  backend: unknown,
  names: string[],
  compute: (tensors: tfc.Tensor4D[]) => tfc.Tensor4D | null,
): tfc.TensorInfo | null {
  const kernelBackend = backend as tfc.KernelBackend;
  const engine = tfc.engine() as unknown as {
    makeTensorFromTensorInfo(info: tfc.TensorInfo, backend: tfc.KernelBackend): tfc.Tensor;
  };
  // tensors over the inputs' buffers: one more reference each, released by the dispose below
  const tensors = names.map((name) => {
    kernelBackend.incRef((inputs[name] as tfc.TensorInfo).dataId);
    return engine.makeTensorFromTensorInfo(inputs[name] as tfc.TensorInfo, kernelBackend) as tfc.Tensor4D;
  });
  const result = compute(tensors);
  if (!result) {
    tfc.dispose(tensors);
    return null;
  }
  const dataId = kernelBackend.write(result.dataSync(), result.shape, 'float32');
  tfc.dispose([...tensors, result]);
  return { dataId, shape: result.shape, dtype: 'float32' };
}

let installed = false;

/**
 * Registers the wasm backend's convolution gradients: `Conv2DBackpropFilter` (which it ships
 * without), computed by {@link conv2dFilterGradient}, and a faster `Conv2DBackpropInput`
 * ({@link conv2dInputGradient}, falling back to tfjs's own kernel where it does not apply). Every
 * convolution gradient in tfjs — plain and fused, as tf.layers uses — reaches these kernels, so
 * convolutions then train on wasm. Idempotent; @graft/core calls it before it trains convolutions.
 */
export function installConvGradients(): void {
  if (installed) return;
  installed = true;
  if (!tfc.getKernel('Conv2DBackpropFilter', 'wasm'))
    tfc.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const { strides, pad, dimRoundingMode, filterShape, dataFormat } = attrs as unknown as {
          strides: [number, number];
          pad: Pad;
          dimRoundingMode?: 'floor' | 'round' | 'ceil';
          filterShape: [number, number, number, number];
          dataFormat: 'NHWC' | 'NCHW';
        };
        if (dataFormat !== 'NHWC')
          throw new Error(`Conv2DBackpropFilter on wasm: ${dataFormat} is not supported`);
        return kernelFromOps(inputs, backend, ['x', 'dy'], ([x, dy]) =>
          conv2dFilterGradient(x!, dy!, filterShape, strides, pad, dimRoundingMode),
        )!;
      },
    });
  replaceWasmKernel('Conv2DBackpropInput', (original) => (args) => {
    const { strides, pad, dimRoundingMode, inputShape, dataFormat } = args.attrs as unknown as {
      strides: [number, number];
      pad: Pad;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
      dataFormat: 'NHWC' | 'NCHW';
    };
    const fast =
      dataFormat === 'NHWC'
        ? kernelFromOps(args.inputs, args.backend, ['dy', 'filter'], ([dy, filter]) =>
            conv2dInputGradient(dy!, filter!, inputShape, strides, pad, dimRoundingMode),
          )
        : null;
    return fast ?? (original.kernelFunc(args) as tfc.TensorInfo);
  });
}
