import type * as tfc from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { inboundLayerNames as inboundNames, layersFeeding } from '../model-graph.js';
import { ProtoWriter } from './protobuf.js';

/** What to export: the layers to output, and how. */
export interface OnnxExportOptions {
  /** Layer names whose outputs the graph returns (default: the model's last layer). */
  outputs?: readonly string[];
  /**
   * `nhwc`: each output as the Keras layer gives it (4-D outputs transposed back to NHWC);
   * `pooled`: each 4-D output's global average, `[batch, channels]`.
   */
  mode?: 'nhwc' | 'pooled';
  /** `[height, width]` when the model's input size is not fixed. */
  inputSize?: readonly [number, number];
}

/** An exported graph and the names of its tensors. */
export interface OnnxExport {
  bytes: Uint8Array;
  /** The graph input: float32 `[batch, height, width, 3]`, already preprocessed. */
  input: string;
  /** One graph output per requested layer, in order. */
  outputs: string[];
  inputSize: [number, number];
}

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

type Attr = { name: string } & ({ i: number } | { ints: readonly number[] } | { f: number });

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

interface Initializer {
  name: string;
  dims: readonly number[];
  type: typeof FLOAT | typeof INT64;
  data: Uint8Array;
}

function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setBigInt64(i * 8, BigInt(v), true);
  return out;
}

/** Keras kernel `[kh, kw, in, out]` as ONNX's `[out, in, kh, kw]`. */
function convKernel(kernel: tfc.Tensor): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const src = kernel.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          dst[((o * cin + i) * kh + y) * kw + x] = src[((y * kw + x) * cin + i) * cout + o]!;
  return { data: dst, dims: [cout, cin, kh, kw] };
}

/** TensorFlow's `same` padding for one axis: [before, after]. */
function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1] ?? value[0])];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

/**
 * Writes a Keras-layout tfjs model (the zoo's architectures: Conv2D, BatchNormalization, ReLU,
 * ZeroPadding2D, MaxPooling2D, Add, global pooling, Dense) as an ONNX graph (opset 13) with the
 * weights it holds now. The graph takes the same preprocessed NHWC input as the tfjs model; inside
 * it runs NCHW, as ONNX Runtime's CPU kernels prefer. Throws on a layer it cannot express.
 */
export function exportOnnx(model: LayersModel, options: OnnxExportOptions = {}): OnnxExport {
  const inputShape = model.inputs[0]!.shape;
  const height = (inputShape[1] as number | null) ?? options.inputSize?.[0];
  const width = (inputShape[2] as number | null) ?? options.inputSize?.[1];
  if (!height || !width) throw new Error('exportOnnx needs a fixed input size: pass inputSize');
  const wanted = options.outputs?.length ? [...options.outputs] : [model.layers.at(-1)!.name];
  const mode = options.mode ?? 'nhwc';
  const needed = layersFeeding(model, wanted); // only the layers the outputs depend on

  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  const shapes = new Map<string, number[]>(); // NCHW (or [N, C]) of each layer's output
  const constant = (name: string, values: Float32Array, dims: readonly number[]) => {
    initializers.push({ name, dims, type: FLOAT, data: floatBytes(values) });
    return name;
  };
  const INPUT = 'input';

  for (const layer of model.layers) {
    if (!needed.has(layer.name)) continue;
    const kind = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    const ins = inboundNames(layer);
    const x = ins[0]!;
    const inShape = shapes.get(x) ?? [];
    const name = layer.name;
    const weights = layer.getWeights();
    const activation = (out: string, act: unknown) => {
      if (act === undefined || act === null || act === 'linear') return;
      if (act === 'relu') nodes.push({ op: 'Relu', inputs: [`${out}/pre`], outputs: [out] });
      else if (act === 'softmax')
        nodes.push({
          op: 'Softmax',
          inputs: [`${out}/pre`],
          outputs: [out],
          attrs: [{ name: 'axis', i: 1 }],
        });
      else throw new Error(`layer ${name}: activation '${String(act)}' has no ONNX export`);
    };
    const preName = (act: unknown) =>
      act === undefined || act === null || act === 'linear' ? name : `${name}/pre`;

    switch (kind) {
      case 'InputLayer':
        nodes.push({
          op: 'Transpose',
          inputs: [INPUT],
          outputs: [name],
          attrs: [{ name: 'perm', ints: [0, 3, 1, 2] }],
        });
        shapes.set(name, [0, 3, height, width]);
        break;
      case 'ZeroPadding2D': {
        const [[t, b], [l, r]] = config.padding as [[number, number], [number, number]];
        const pads = `${name}/pads`;
        initializers.push({ name: pads, dims: [8], type: INT64, data: int64Bytes([0, 0, t, l, 0, 0, b, r]) });
        nodes.push({ op: 'Pad', inputs: [x, pads], outputs: [name], attrs: [] });
        shapes.set(name, [0, inShape[1]!, inShape[2]! + t + b, inShape[3]! + l + r]);
        break;
      }
      case 'Conv2D': {
        if ((config.groups ?? 1) !== 1)
          throw new Error(`layer ${name}: grouped convolutions have no ONNX export here`);
        const kernel = convKernel(weights[0]!);
        const [kh, kw] = [kernel.dims[2]!, kernel.dims[3]!];
        const [sh, sw] = pair(config.strides, 1);
        const [dh, dw] = pair(config.dilationRate, 1);
        const [h, w] = [inShape[2]!, inShape[3]!];
        const [pt, pb] = config.padding === 'same' ? samePads(h, kh, sh, dh) : [0, 0];
        const [pl, pr] = config.padding === 'same' ? samePads(w, kw, sw, dw) : [0, 0];
        const inputs = [x, constant(`${name}/W`, kernel.data, kernel.dims)];
        if (weights[1])
          inputs.push(constant(`${name}/B`, weights[1].dataSync() as Float32Array, weights[1].shape));
        const out = preName(config.activation);
        nodes.push({
          op: 'Conv',
          inputs,
          outputs: [out],
          attrs: [
            { name: 'kernel_shape', ints: [kh, kw] },
            { name: 'strides', ints: [sh, sw] },
            { name: 'dilations', ints: [dh, dw] },
            { name: 'pads', ints: [pt, pl, pb, pr] },
          ],
        });
        activation(name, config.activation);
        const oh = Math.floor((h + pt + pb - (kh - 1) * dh - 1) / sh) + 1;
        const ow = Math.floor((w + pl + pr - (kw - 1) * dw - 1) / sw) + 1;
        shapes.set(name, [0, kernel.dims[0]!, oh, ow]);
        break;
      }
      case 'BatchNormalization': {
        const axis = config.axis as number | number[];
        const rank = inShape.length;
        const a = Array.isArray(axis) ? axis[0]! : axis;
        if (!(a === -1 || a === 3) || rank !== 4)
          throw new Error(`layer ${name}: only channel-last BatchNormalization has an ONNX export here`);
        const channels = inShape[1]!;
        let k = 0;
        const gamma =
          config.scale === false
            ? new Float32Array(channels).fill(1)
            : (weights[k++]!.dataSync() as Float32Array);
        const beta =
          config.center === false ? new Float32Array(channels) : (weights[k++]!.dataSync() as Float32Array);
        const mean = weights[k++]!.dataSync() as Float32Array;
        const variance = weights[k++]!.dataSync() as Float32Array;
        nodes.push({
          op: 'BatchNormalization',
          inputs: [
            x,
            constant(`${name}/scale`, gamma, [channels]),
            constant(`${name}/bias`, beta, [channels]),
            constant(`${name}/mean`, mean, [channels]),
            constant(`${name}/var`, variance, [channels]),
          ],
          outputs: [name],
          attrs: [{ name: 'epsilon', f: config.epsilon as number }],
        });
        shapes.set(name, inShape);
        break;
      }
      case 'Activation':
        if (config.activation === 'linear') nodes.push({ op: 'Identity', inputs: [x], outputs: [name] });
        else {
          nodes.push({ op: 'Identity', inputs: [x], outputs: [`${name}/pre`] });
          activation(name, config.activation);
        }
        shapes.set(name, inShape);
        break;
      case 'ReLU':
        if (config.maxValue != null || (config.negativeSlope as number) || (config.threshold as number))
          throw new Error(`layer ${name}: a ReLU with a cap, slope or threshold has no ONNX export here`);
        nodes.push({ op: 'Relu', inputs: [x], outputs: [name] });
        shapes.set(name, inShape);
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [kh, kw] = pair(config.poolSize, 2);
        const [sh, sw] = pair(config.strides ?? config.poolSize, kh);
        const [h, w] = [inShape[2]!, inShape[3]!];
        const [pt, pb] = config.padding === 'same' ? samePads(h, kh, sh, 1) : [0, 0];
        const [pl, pr] = config.padding === 'same' ? samePads(w, kw, sw, 1) : [0, 0];
        const attrs: Attr[] = [
          { name: 'kernel_shape', ints: [kh, kw] },
          { name: 'strides', ints: [sh, sw] },
          { name: 'pads', ints: [pt, pl, pb, pr] },
        ];
        if (kind === 'AveragePooling2D') attrs.push({ name: 'count_include_pad', i: 0 });
        nodes.push({
          op: kind === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool',
          inputs: [x],
          outputs: [name],
          attrs,
        });
        shapes.set(name, [
          0,
          inShape[1]!,
          Math.floor((h + pt + pb - kh) / sh) + 1,
          Math.floor((w + pl + pr - kw) / sw) + 1,
        ]);
        break;
      }
      case 'Add': {
        let acc = ins[0]!;
        for (let i = 1; i < ins.length; i++) {
          const out = i === ins.length - 1 ? name : `${name}/${i}`;
          nodes.push({ op: 'Add', inputs: [acc, ins[i]!], outputs: [out] });
          acc = out;
        }
        shapes.set(name, inShape);
        break;
      }
      case 'Concatenate': {
        if (inShape.length !== 4 || !(config.axis === -1 || config.axis === 3))
          throw new Error(`layer ${name}: only channel concatenation of 4-D tensors has an ONNX export`);
        nodes.push({ op: 'Concat', inputs: ins, outputs: [name], attrs: [{ name: 'axis', i: 1 }] });
        const channels = ins.reduce((sum, input) => sum + shapes.get(input)![1]!, 0);
        shapes.set(name, [inShape[0]!, channels, inShape[2]!, inShape[3]!]);
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        nodes.push({
          op: kind === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool',
          inputs: [x],
          outputs: [`${name}/4d`],
        });
        nodes.push({
          op: 'Flatten',
          inputs: [`${name}/4d`],
          outputs: [name],
          attrs: [{ name: 'axis', i: 1 }],
        });
        shapes.set(name, [0, inShape[1]!]);
        break;
      case 'Dense': {
        const kernel = weights[0]!;
        const inputs = [x, constant(`${name}/W`, kernel.dataSync() as Float32Array, kernel.shape)];
        if (weights[1])
          inputs.push(constant(`${name}/B`, weights[1].dataSync() as Float32Array, weights[1].shape));
        if (inShape.length !== 2)
          throw new Error(`layer ${name}: Dense on a ${inShape.length}-D input has no ONNX export here`);
        nodes.push({ op: 'Gemm', inputs, outputs: [preName(config.activation)] });
        activation(name, config.activation);
        shapes.set(name, [0, kernel.shape[1]!]);
        break;
      }
      default:
        throw new Error(`layer ${name} (${kind}) has no ONNX export`);
    }
  }

  const outputs = wanted.map((name) => {
    const rank = shapes.get(name)!.length;
    if (rank !== 4) return name;
    const out = `${name}/${mode}`;
    if (mode === 'pooled') {
      nodes.push({ op: 'GlobalAveragePool', inputs: [name], outputs: [`${out}/4d`] });
      nodes.push({ op: 'Flatten', inputs: [`${out}/4d`], outputs: [out], attrs: [{ name: 'axis', i: 1 }] });
    } else {
      nodes.push({
        op: 'Transpose',
        inputs: [name],
        outputs: [out],
        attrs: [{ name: 'perm', ints: [0, 2, 3, 1] }],
      });
    }
    return out;
  });

  const w = new ProtoWriter();
  w.int(1, 8); // ir_version
  w.string(2, '@graft/zoo');
  w.message(7, (g) => {
    for (const node of nodes)
      g.message(1, (n) => {
        for (const i of node.inputs) n.string(1, i);
        for (const o of node.outputs) n.string(2, o);
        n.string(4, node.op);
        for (const a of node.attrs ?? [])
          n.message(5, (m) => {
            m.string(1, a.name);
            if ('i' in a) m.int(3, a.i).int(20, ATTR.INT);
            else if ('f' in a) m.float(2, a.f).int(20, ATTR.FLOAT);
            else {
              for (const v of a.ints) m.int(8, v);
              m.int(20, ATTR.INTS);
            }
          });
      });
    g.string(2, model.name || 'graft');
    for (const t of initializers)
      g.message(5, (m) => {
        for (const d of t.dims) m.int(1, d);
        m.int(2, t.type);
        m.string(8, t.name);
        m.bytes(9, t.data);
      });
    const valueInfo = (field: number, name: string, dims: (number | string)[]) =>
      g.message(field, (v) => {
        v.string(1, name);
        v.message(2, (type) =>
          type.message(1, (tensor) => {
            tensor.int(1, FLOAT);
            tensor.message(2, (shape) => {
              for (const d of dims)
                shape.message(1, (dim) => (typeof d === 'string' ? dim.string(2, d) : dim.int(1, d)));
            });
          }),
        );
      });
    valueInfo(11, INPUT, ['batch', height, width, 3]);
    for (const out of outputs)
      g.message(12, (v) => {
        v.string(1, out);
        v.message(2, (type) => type.message(1, (tensor) => tensor.int(1, FLOAT)));
      });
  });
  w.message(8, (o) => o.string(1, '').int(2, 13)); // opset_import: the default domain, opset 13
  return { bytes: w.finish(), input: INPUT, outputs, inputSize: [height, width] };
}
