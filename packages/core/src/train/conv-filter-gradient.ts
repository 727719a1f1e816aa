import * as tfc from '@tensorflow/tfjs-core';

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
      const patch = tfc.stridedSlice(
        padded,
        [0, 0, 0, 0],
        [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, cin],
        [1, sh, sw, 1],
      );
      const dw = tfc.matMul(
        tfc.reshape(patch, [n * oh * ow, cin]),
        tfc.reshape(dy, [n * oh * ow, cout]),
        true,
        false,
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

let installed = false;

/**
 * Registers `Conv2DBackpropFilter` for the wasm backend (which ships without it), computed by
 * {@link conv2dFilterGradient}. Every convolution gradient in tfjs — plain and fused, as tf.layers
 * uses — reaches this kernel, so convolutions then train on wasm. Idempotent, and a no-op where
 * a kernel is already registered; @graft/core calls it before it trains convolutions.
 */
export function installConvFilterGradient(): void {
  if (installed) return;
  installed = true;
  if (tfc.getKernel('Conv2DBackpropFilter', 'wasm')) return;
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
      const kernelBackend = backend as tfc.KernelBackend;
      const engine = tfc.engine() as unknown as {
        makeTensorFromTensorInfo(info: tfc.TensorInfo, backend: tfc.KernelBackend): tfc.Tensor;
      };
      // tensors over the inputs' buffers: one more reference each, released by the dispose below
      kernelBackend.incRef((inputs.x as tfc.TensorInfo).dataId);
      kernelBackend.incRef((inputs.dy as tfc.TensorInfo).dataId);
      const x = engine.makeTensorFromTensorInfo(inputs.x as tfc.TensorInfo, kernelBackend) as tfc.Tensor4D;
      const dy = engine.makeTensorFromTensorInfo(inputs.dy as tfc.TensorInfo, kernelBackend) as tfc.Tensor4D;
      const result = conv2dFilterGradient(x, dy, filterShape, strides, pad, dimRoundingMode);
      // hand the engine a buffer of its own, then free everything made here
      const dataId = kernelBackend.write(result.dataSync(), result.shape, 'float32');
      tfc.dispose([x, dy, result]);
      return { dataId, shape: filterShape, dtype: 'float32' };
    },
  });
}
