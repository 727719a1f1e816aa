import type { LayersModel } from '@tensorflow/tfjs-layers';
import { backendReady } from './backend-ready.js';
import { loadWeightsFromKerasH5 } from './h5/load-weights.js';
import { getModel, type ModelId } from './registry.js';
import type { BuildOptions, ModelSpec, WeightFileSpec } from './spec.js';
import { ZOO_VERSION } from './version.js';
import {
  type ConvertedFiles,
  type ConvertedReader,
  convertModel,
  IntegrityError,
  loadConvertedWeights,
} from './weights/converted.js';
import { sha256Hex } from './weights/digest.js';

/** Progress of a download or a load step. */
export interface LoadProgress {
  phase: 'download' | 'read' | 'convert';
  /** The file concerned. */
  file: string;
  loaded: number;
  /** Total bytes when known. */
  total?: number;
  /** Bytes per second over the transfer so far. */
  rate?: number;
}

/** Options of `loadBackbone`. */
export interface LoadBackboneOptions {
  /** Keep the ImageNet classifier (`avg_pool` + `predictions`). Default false. */
  includeTop?: boolean;
  /**
   * A pretrained variant of the model (default: its first, `'imagenet'` for ResNet50): the official
   * weights, fetched, verified and cached (or bundled with the package);
   * a path or URL of a Keras `.h5` weight file of your own (no hash check, as Keras does for
   * `weights=path`); or `null` for random initialisation.
   */
  weights?: string | null;
  /** `[height, width, 3]`; without the top any size ≥ 32, `null` for any size. */
  inputShape?: [number | null, number | null, number];
  /** Without the top, end with global `'avg'` or `'max'` pooling. */
  pooling?: 'avg' | 'max' | null;
  /** Base URL or folder of a converted model (`graft zoo export`), instead of `weights`. */
  modelUrl?: string;
  /** Called while bytes arrive. */
  onProgress?: (progress: LoadProgress) => void;
  /** Cancels a download. */
  signal?: AbortSignal;
  /** Never touch the network (default from `env.offline` / `GRAFT_OFFLINE=1`). */
  offline?: boolean;
  /** Replace the base of every weight URL (default from `env.mirror` / `GRAFT_MIRROR`). */
  mirror?: string;
}

/** A loaded backbone. */
export interface LoadedBackbone {
  model: LayersModel;
  spec: ModelSpec;
  includeTop: boolean;
  /** What the weights are: `source` for people, `id` (a content hash) for cache keys. */
  weights: { source: string; id: string };
}

/** Where the bytes come from: the one thing that differs between Node, browsers and workers. */
export interface BackbonePlatform {
  /** A registered weight file's bytes, verified against its md5 and size (cached where possible). */
  fetchPretrained(spec: ModelSpec, file: WeightFileSpec, options: LoadBackboneOptions): Promise<Uint8Array>;
  /**
   * Checks a cached pretrained file again in full, after its bytes failed to load (a copy trusted
   * by its size and time can still have been damaged): deletes it and returns the problem when it
   * fails, so that `fetchPretrained` gets a good copy; null when it passes.
   */
  recheckPretrained?(spec: ModelSpec, file: WeightFileSpec): Promise<string | null>;
  /** A user's own weight file, by path or URL. */
  readUserFile(location: string, options: LoadBackboneOptions): Promise<Uint8Array>;
  /** A converted model folder, by path or URL. */
  openConverted(location: string, options: LoadBackboneOptions): Promise<ConvertedReader>;
  /** Forgets whatever the platform keeps of a converted model at `location` (it failed its check). */
  evictConverted?(location: string): Promise<void>;
  /** A cache of converted copies of pretrained weights, where the platform can keep one. */
  convertedCache?: {
    open(key: string): Promise<ConvertedReader | null>;
    save(key: string, files: ConvertedFiles): Promise<void>;
    remove(key: string): Promise<void>;
  };
}

/** The cache key of the converted copy of one pretrained weight file. */
export function convertedKey(
  spec: ModelSpec,
  variant: string,
  includeTop: boolean,
  file: WeightFileSpec,
): string {
  return `${spec.id}/${variant}-${includeTop ? 'top' : 'notop'}-${file.md5}`;
}

function buildOptions(options: LoadBackboneOptions, includeTop: boolean): BuildOptions {
  // random weights only when they are what was asked for; any loaded weights overwrite them
  const initialize = options.modelUrl === undefined && options.weights === null;
  return { includeTop, inputShape: options.inputShape, pooling: options.pooling ?? null, initialize };
}

/** Makes `loadBackbone` for one platform. */
export function createBackboneLoader(platform: BackbonePlatform) {
  /**
   * Loads a zoo model with its weights: `const { model, spec } = await loadBackbone('resnet50')`.
   * The first load of pretrained weights reads the Keras `.h5` file; where the platform has a cache,
   * a converted TF.js copy is stored (SHA-256 per shard) and used from then on.
   */
  return async function loadBackbone(
    id: ModelId,
    options: LoadBackboneOptions = {},
  ): Promise<LoadedBackbone> {
    const spec = getModel(id);
    await backendReady();
    const includeTop = options.includeTop ?? false;
    if (includeTop && options.modelUrl === undefined) {
      const weights = options.weights === undefined ? Object.keys(spec.weights)[0] : options.weights;
      if (weights && spec.weights[weights] && !spec.weights[weights].top)
        throw new Error(
          `${spec.id}'s '${weights}' weights come without a top classifier: load it with includeTop: false`,
        );
    }
    const model = spec.build(buildOptions(options, includeTop));
    try {
      const weights = await loadWeightsInto(platform, spec, model, includeTop, options);
      return { model, spec, includeTop, weights };
    } catch (err) {
      model.dispose();
      throw err;
    }
  };
}

async function loadWeightsInto(
  platform: BackbonePlatform,
  spec: ModelSpec,
  model: LayersModel,
  includeTop: boolean,
  options: LoadBackboneOptions,
): Promise<LoadedBackbone['weights']> {
  if (options.modelUrl !== undefined) {
    const url = options.modelUrl;
    let manifest: Awaited<ReturnType<typeof loadConvertedWeights>>;
    try {
      manifest = await loadConvertedWeights(model, await platform.openConverted(url, options));
    } catch (err) {
      if (!(err instanceof IntegrityError) || !platform.evictConverted) throw err;
      await platform.evictConverted(url); // a damaged cached copy: fetch it again, once
      manifest = await loadConvertedWeights(model, await platform.openConverted(url, options));
    }
    if (manifest.model !== spec.id && manifest.model !== spec.architecture) {
      throw new Error(`${options.modelUrl} holds a converted '${manifest.model}', not '${spec.id}'`);
    }
    const id = manifest.source.md5 ?? manifest.source.sha256 ?? manifest.shards.map((s) => s.sha256).join('');
    return { source: `${options.modelUrl} (${manifest.source.fileName})`, id };
  }
  const weights = options.weights === undefined ? (Object.keys(spec.weights)[0] ?? null) : options.weights;
  if (weights === null) return { source: 'random initialisation', id: 'random' };

  const variant = spec.weights[weights];
  if (variant?.bundled && !includeTop) {
    const bundled = variant.bundled;
    const files = bundled.files;
    const reader: ConvertedReader = files
      ? {
          location: bundled.location,
          readBytes: (path) => {
            const url = files[path];
            if (!url) throw new Error(`${spec.id}'s bundled weights have no file ${path}`);
            return platform.readUserFile(url, options);
          },
          readText: async (path) => new TextDecoder().decode(await reader.readBytes(path)),
        }
      : await platform.openConverted(bundled.location, options);
    await loadConvertedWeights(model, reader, bundled.shards);
    return {
      source: `${weights} (bundled with @graft/zoo)`,
      id: bundled.shards.map((s) => s.sha256).join(''),
    };
  }
  if (variant) {
    const file = includeTop ? variant.top : variant.notop;
    if (!file) throw new Error(`${spec.id} has no '${weights}' weights with the top classifier`);
    const key = convertedKey(spec, weights, includeTop, file);
    const cache = platform.convertedCache;
    if (cache) {
      const reader = await cache.open(key);
      if (reader) {
        try {
          await loadConvertedWeights(model, reader);
          return { source: `${weights} (${file.fileName}, converted copy)`, id: file.md5 };
        } catch (err) {
          if (!(err instanceof IntegrityError)) throw err;
          await cache.remove(key); // a damaged copy is never used: rebuild it from the verified .h5
        }
      }
    }
    const load = async () => {
      const bytes = await platform.fetchPretrained(spec, file, options);
      options.onProgress?.({
        phase: 'read',
        file: file.fileName,
        loaded: bytes.byteLength,
        total: bytes.byteLength,
      });
      loadWeightsFromKerasH5(model, bytes, file.fileName);
    };
    let refetched = '';
    try {
      await load();
    } catch (err) {
      const problem = platform.recheckPretrained ? await platform.recheckPretrained(spec, file) : null;
      if (problem === null) throw err;
      try {
        await load();
      } catch (again) {
        throw new Error(
          `the cached ${file.fileName} did not load and failed its check (${problem}); it was deleted, and getting it again failed: ${again instanceof Error ? again.message : String(again)}`,
        );
      }
      refetched = `; the cached copy did not load and failed its check (${problem}), so it was fetched again`;
    }
    if (cache) {
      options.onProgress?.({ phase: 'convert', file: file.fileName, loaded: 0 });
      const converted = await convertModel(
        model,
        {
          model: spec.id,
          includeTop,
          preprocessing: spec.preprocessing,
          source: { fileName: file.fileName, md5: file.md5 },
        },
        `@graft/zoo ${ZOO_VERSION}`,
      );
      await cache.save(key, converted);
    }
    return { source: `${weights} (${file.fileName}${refetched})`, id: file.md5 };
  }

  if (!looksLikeLocation(weights)) {
    const known = Object.keys(spec.weights);
    throw new Error(
      `unknown weights '${weights}' for ${spec.id}: use ${known.map((k) => `'${k}'`).join(', ')}, a path or URL of a Keras .h5 file, or null`,
    );
  }
  const bytes = await platform.readUserFile(weights, options);
  loadWeightsFromKerasH5(model, bytes, weights);
  return { source: weights, id: await sha256Hex(bytes) };
}

function looksLikeLocation(s: string): boolean {
  return /[/\\.]/.test(s);
}

/**
 * The `weights.id` that `loadBackbone(id, options)` would report, found without building the model
 * or loading any weights (a user's own file is read and hashed), so that work compiled from those
 * weights before (an ONNX graph) can be found by it. Null where it cannot be known up front
 * (`modelUrl`, random weights, a URL, a user file without `platform`).
 */
export async function expectedWeightsId(
  id: ModelId,
  options: Pick<LoadBackboneOptions, 'weights' | 'includeTop' | 'modelUrl'> = {},
  platform?: Pick<BackbonePlatform, 'readUserFile'>,
): Promise<string | null> {
  if (options.modelUrl !== undefined) return null;
  const spec = getModel(id);
  const includeTop = options.includeTop ?? false;
  const weights = options.weights === undefined ? (Object.keys(spec.weights)[0] ?? null) : options.weights;
  if (weights === null) return null;
  const variant = spec.weights[weights];
  if (variant?.bundled && !includeTop) return variant.bundled.shards.map((s) => s.sha256).join('');
  if (variant) return (includeTop ? variant.top : variant.notop)?.md5 ?? null;
  // a URL would be downloaded twice when nothing is cached: only local files are hashed up front
  if (!looksLikeLocation(weights) || !platform || /^[a-z][a-z0-9+.-]*:\/\//i.test(weights)) return null;
  return sha256Hex(await platform.readUserFile(weights, {}));
}
