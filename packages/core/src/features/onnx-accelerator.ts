import { exportOnnx, sha256Hex } from '@graft/zoo';
import type { AcceleratedRunner, AcceleratorRequest, BackboneAccelerator } from './accelerator.js';

/** What the accelerator uses of onnxruntime's API: `onnxruntime-node` or `onnxruntime-web` fit. */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
  release(): Promise<void>;
}

/** Options of {@link createOnnxAccelerator}. */
export interface OnnxAcceleratorOptions {
  /** The onnxruntime module (`await import('onnxruntime-node')`). */
  ort: OrtModule;
  /** Shown to people. Default `onnxruntime`. */
  name?: string;
  /** Intra-op threads per run (default: onnxruntime's choice, one per core). */
  threads?: number;
  /** Keeps exported graphs between runs (e.g. on disk beside the weights), by a key of weights and outputs. */
  cache?: {
    get(key: string): Promise<Uint8Array | undefined>;
    set(key: string, bytes: Uint8Array): Promise<void>;
  };
  /** Told why a model runs in tfjs instead (a layer ONNX export does not cover). */
  onFallback?: (reason: string) => void;
}

/**
 * A {@link BackboneAccelerator} on ONNX Runtime: exports the frozen part of the backbone (its
 * current weights) with `exportOnnx`, keeps the graph in `cache`, and runs it with one session
 * per (weights, outputs) pair.
 */
export function createOnnxAccelerator(options: OnnxAcceleratorOptions): BackboneAccelerator {
  const { ort } = options;
  const cacheKey = async (request: AcceleratorRequest) => {
    const [height, width] = request.inputSize;
    const shape = await sha256Hex(
      new TextEncoder().encode(`${request.outputs.join(',')}|${request.mode}|${height}x${width}`),
    );
    return `${request.weightsKey.slice(0, 32)}-${shape.slice(0, 16)}`;
  };
  async function start(bytes: Uint8Array, request: AcceleratorRequest, input: string, outputs: string[]) {
    const [height, width] = request.inputSize;
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      interOpNumThreads: 1,
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    });
    return {
      async run(pixels: Float32Array, batch: number) {
        const feed = new ort.Tensor('float32', pixels, [batch, height, width, 3]);
        const result = await session.run({ [input]: feed });
        return outputs.map((name) => {
          const out = result[name] ?? result[name.replace(/\/(pooled|nhwc)$/, '')];
          if (!out) throw new Error(`the ONNX graph has no output '${name}'`);
          return out.data as Float32Array;
        });
      },
      dispose: () => session.release(),
    } satisfies AcceleratedRunner;
  }
  /** Output names as exportOnnx gives them (a cached graph was written by it). */
  const exportedNames = (request: AcceleratorRequest) => request.outputs.map((o) => `${o}/${request.mode}`);
  return {
    name: options.name ?? 'onnxruntime',
    async prepare(model, request): Promise<AcceleratedRunner | null> {
      const key = await cacheKey(request);
      const cached = await options.cache?.get(key);
      if (cached) return start(cached, request, 'input', exportedNames(request));
      let exported: ReturnType<typeof exportOnnx>;
      try {
        exported = exportOnnx(model, {
          outputs: request.outputs,
          mode: request.mode,
          inputSize: [request.inputSize[0], request.inputSize[1]],
        });
      } catch (err) {
        options.onFallback?.(`${err instanceof Error ? err.message : String(err)}; running it in tfjs`);
        return null;
      }
      await options.cache?.set(key, exported.bytes);
      return start(exported.bytes, request, exported.input, exported.outputs);
    },
    async open(request) {
      const cached = await options.cache?.get(await cacheKey(request));
      return cached ? start(cached, request, 'input', exportedNames(request)) : null;
    },
  };
}
