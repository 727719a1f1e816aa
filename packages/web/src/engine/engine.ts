import {
  type Classifier,
  createClassifier,
  type LabeledImage,
  loadClassifier,
  type ProgressEvent,
} from '@graft/core';
import {
  InMemoryFeatureCache,
  MODEL_FILES,
  modelFolderFiles,
  modelFolderLoadHandler,
} from '@graft/core/advanced';
import { browserPlatform, CONVERTED_MANIFEST_FILE, type LoadedBackbone, loadBackbone } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { strategyDefaults, WIDGET_DEFAULTS } from '../defaults.js';
import type {
  Args,
  BackboneReady,
  EngineEvent,
  EngineInfo,
  EngineMethods,
  ModelFiles,
  ModelReady,
  Pixels,
  TrainedSummary,
  TrainingPoint,
} from '../protocol.js';
import { chooseBackend } from './backends.js';

const INDEXEDDB_PREFIX = 'indexeddb://graft-trainer/';

function indexedDbUrl(name: string): string {
  if (!/^[\w.-]{1,100}$/.test(name))
    throw new Error(`'${name}' is not a usable model name: use letters, digits, '.', '_' or '-'`);
  return INDEXEDDB_PREFIX + name;
}

/** The URL of a model folder's model.json, from the folder's URL or the file's. */
function modelJsonUrl(url: string): string {
  const absolute = new URL(url, globalThis.location?.href).href;
  return absolute.endsWith('.json')
    ? absolute
    : new URL(MODEL_FILES.json, absolute.endsWith('/') ? absolute : `${absolute}/`).href;
}

/**
 * Everything that touches TF.js, in one place so that it runs the same in a Web Worker (the
 * default) or on the page's main thread: the backbone, the examples, training and prediction.
 */
export class TrainerEngine implements Record<keyof EngineMethods, (args: never) => unknown> {
  private info: EngineInfo | null = null;
  private modelUrl: string | null = null;
  private backboneMeta: BackboneReady | null = null;
  /** A freshly loaded backbone waiting for the next training (training changes or owns it). */
  private spareBackbone: LoadedBackbone | null = null;
  private readonly examples = new Map<string, Pixels[]>();
  private classifier: Classifier | null = null;
  private training: AbortController | null = null;
  /**
   * Features of examples already seen, in memory for the engine's life (not persisted: a new page
   * computes them again): retraining after adding a few images reuses the rest.
   */
  private readonly featureCache = new InMemoryFeatureCache(50_000);

  constructor(
    private readonly emit: (event: EngineEvent) => void,
    private readonly thread: EngineInfo['thread'],
  ) {}

  async init({ backend, wasmPaths }: Args<'init'>): Promise<EngineInfo> {
    const choice = await chooseBackend(backend, wasmPaths);
    this.info = { backend: choice.backend, thread: this.thread, notes: choice.notes };
    return this.info;
  }

  async loadBackbone({ modelUrl }: Args<'loadBackbone'>): Promise<BackboneReady> {
    this.requireInit();
    let manifest: { model?: unknown; inputShape?: unknown };
    try {
      const reader = await browserPlatform.openConverted(modelUrl, {});
      manifest = JSON.parse(await reader.readText(CONVERTED_MANIFEST_FILE));
    } catch (err) {
      throw new Error(
        `could not load the model from ${modelUrl}: ${err instanceof Error ? err.message : String(err)} (model-url must be a folder made by \`graft zoo export\`)`,
      );
    }
    if (typeof manifest.model !== 'string')
      throw new Error(
        `${modelUrl}${CONVERTED_MANIFEST_FILE} names no model: it is not a \`graft zoo export\` folder`,
      );
    const inputShape = Array.isArray(manifest.inputShape)
      ? (manifest.inputShape as [number, number, 3])
      : undefined;
    const loaded = await loadBackbone(manifest.model, {
      modelUrl,
      inputShape,
      onProgress: (p) => this.emit({ type: 'load-progress', loaded: p.loaded, total: p.total, file: p.file }),
    });
    this.spareBackbone?.model.dispose();
    this.spareBackbone = loaded;
    this.modelUrl = modelUrl;
    const shape = loaded.model.inputs[0]!.shape;
    const size: [number, number] = [
      (shape[1] as number | null) ?? loaded.spec.inputSize[0],
      (shape[2] as number | null) ?? loaded.spec.inputSize[1],
    ];
    this.backboneMeta = { modelId: loaded.spec.id, inputSize: size };
    return this.backboneMeta;
  }

  addExamples({ label, images }: Args<'addExamples'>): number {
    const list = this.examples.get(label) ?? [];
    list.push(...images);
    this.examples.set(label, list);
    return list.length;
  }

  removeClass({ label }: Args<'removeClass'>): void {
    this.examples.delete(label);
  }

  renameClass({ from, to }: Args<'renameClass'>): void {
    if (from === to) return;
    if (this.examples.has(to)) throw new Error(`there is already a class named '${to}'`);
    const list = this.examples.get(from);
    this.examples.delete(from);
    if (list) this.examples.set(to, list);
  }

  clearExamples(): void {
    this.examples.clear();
  }

  /** Forgets one example of a class (`index` in the order added); returns the class's count. */
  removeExample({ label, index }: Args<'removeExample'>): number {
    const list = this.examples.get(label) ?? [];
    if (!(index >= 0 && index < list.length)) throw new Error(`'${label}' has no example ${index + 1}`);
    list.splice(index, 1);
    return list.length;
  }

  async train({ classes, options }: Args<'train'>): Promise<TrainedSummary> {
    this.requireInit();
    if (this.training) throw new Error('training is already running');
    const data: LabeledImage[] = [];
    for (const label of classes)
      for (const [i, image] of (this.examples.get(label) ?? []).entries())
        data.push({ ...image, label, id: `${label} #${i + 1}` });
    const started = performance.now();
    const classifier = await this.classifierFor(classes);
    const controller = new AbortController();
    this.training = controller;
    let final: TrainingPoint | null = null;
    const onProgress = (event: ProgressEvent) => {
      if (event.type === 'batch') {
        this.emit({
          type: 'train-batch',
          phase: event.phase,
          epoch: event.epoch,
          epochs: event.epochs,
          batch: event.batch,
          batches: event.batches,
        });
        return;
      }
      const log = event.log!;
      final = {
        phase: event.phase,
        epoch: event.epoch,
        epochs: event.epochs,
        loss: log.loss,
        accuracy: log.accuracy,
        ...(log.val_loss !== undefined ? { valLoss: log.val_loss, valAccuracy: log.val_accuracy } : {}),
      };
      this.emit({ type: 'train-progress', point: final });
    };
    const defaults = strategyDefaults(options.strategy);
    const common = {
      batchSize: options.batchSize ?? defaults.batchSize,
      seed: options.seed ?? WIDGET_DEFAULTS.common.seed,
      augment: options.augment ?? WIDGET_DEFAULTS.common.augment,
      signal: controller.signal,
      onProgress,
      ...(options.validationSplit ? { validation: { split: options.validationSplit } } : {}),
    };
    try {
      const history =
        options.strategy === 'fine-tune'
          ? await classifier.fineTune(data, {
              ...common,
              headEpochs: WIDGET_DEFAULTS.fineTune.headEpochs,
              epochs: options.epochs ?? defaults.epochs,
              lr: options.lr ?? defaults.lr,
            })
          : await classifier.fit(data, {
              ...common,
              epochs: options.epochs ?? defaults.epochs,
              lr: options.lr ?? defaults.lr,
            });
      // Teachable Machine's "accuracy per class": on the held-out images when there are some
      const held = new Set(history.data.validation);
      const measuredOn = held.size > 0 ? ('validation' as const) : ('training' as const);
      const report = await classifier.evaluate(held.size > 0 ? data.filter((d) => held.has(d.id!)) : data);
      return {
        classes: [...classes],
        perClass: report.perClass.map((m) => ({ label: m.label, accuracy: m.recall, images: m.support })),
        measuredOn,
        examples: data.length,
        epochs: history.phases.reduce((n, p) => n + p.epochs.length, 0),
        stopReason: history.stopReason,
        final,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      this.training = null;
    }
  }

  stopTraining(): void {
    this.training?.abort();
  }

  async predict({ images }: Args<'predict'>) {
    const classifier = this.requireClassifier();
    return classifier.predict(images, { topK: classifier.classes.length });
  }

  async exportModel(): Promise<ModelFiles> {
    const classifier = this.requireClassifier();
    let files: ReturnType<typeof modelFolderFiles> | null = null;
    await classifier.save(
      tfc.io.withSaveHandler(async (artifacts) => {
        files = modelFolderFiles(artifacts);
        return { modelArtifactsInfo: tfc.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    const out: ModelFiles = {};
    for (const [name, content] of Object.entries(files!))
      out[name] = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    return out;
  }

  async loadModel({ url, files }: Args<'loadModel'>): Promise<ModelReady> {
    this.requireInit();
    let loaded: Classifier;
    if (files) {
      loaded = await loadClassifier(
        modelFolderLoadHandler(async (path) => {
          const bytes = files[path];
          if (!bytes) throw new Error(`the model has no ${path}`);
          return bytes;
        }, 'the chosen model'),
      );
    } else if (url) {
      const jsonUrl = modelJsonUrl(url);
      try {
        loaded = await loadClassifier(jsonUrl);
      } catch (err) {
        throw new Error(
          `could not load a model from ${jsonUrl}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    } else {
      throw new Error('loadModel needs a URL or the model files');
    }
    return this.adopt(loaded);
  }

  async saveToIndexedDB({ name }: Args<'saveToIndexedDB'>): Promise<void> {
    await this.requireClassifier().save(indexedDbUrl(name));
  }

  async loadFromIndexedDB({ name }: Args<'loadFromIndexedDB'>): Promise<ModelReady> {
    this.requireInit();
    const url = indexedDbUrl(name);
    const saved = await tfc.io.listModels();
    if (!(url in saved)) throw new Error(`no model named '${name}' is saved in this browser`);
    return this.adopt(await loadClassifier(url));
  }

  memory() {
    const { numTensors, numBytes } = tfc.memory();
    return { numTensors, numBytes };
  }

  // ---------------------------------------------------------------------------------------------

  private adopt(classifier: Classifier): ModelReady {
    this.classifier?.dispose();
    this.classifier = classifier;
    return {
      classes: [...classifier.classes],
      inputSize: [classifier.info.inputSize[0], classifier.info.inputSize[1]],
      backbone: classifier.info.id,
      strategy: classifier.manifest().strategy,
    };
  }

  /** A new classifier on fresh backbone weights (training starts over, as Teachable Machine does). */
  private async classifierFor(classes: string[]): Promise<Classifier> {
    if (!this.modelUrl) {
      const current = this.classifier;
      if (current && sameList(current.classes, classes)) return current;
      throw new Error('set model-url to a backbone (`graft zoo export`) to train new classes');
    }
    const backbone = this.spareBackbone ?? (await this.reloadBackbone());
    this.spareBackbone = null;
    const classifier = createClassifier({ backbone, classes });
    classifier.featureCache = this.featureCache;
    this.classifier?.dispose();
    this.classifier = classifier;
    return classifier;
  }

  private async reloadBackbone(): Promise<LoadedBackbone> {
    await this.loadBackbone({ modelUrl: this.modelUrl! }); // from the browser's cache
    return this.spareBackbone!;
  }

  private requireInit(): EngineInfo {
    if (!this.info) throw new Error('the engine has not started (init first)');
    return this.info;
  }

  private requireClassifier(): Classifier {
    if (!this.classifier) throw new Error('there is no trained model yet: train one or load one');
    return this.classifier;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
