import type { Prediction } from '@graft/core';
import { ClassList } from './class-list.js';
import type { EngineClient } from './client.js';
import { EngineConnection } from './connection.js';
import { isReported, message, progressDetail, Reporter } from './events.js';
import { type ImageLike, toPixels } from './image.js';
import { ModelIO, type ModelSource, zipBlob } from './model-files.js';
import type {
  EngineEvent,
  EngineInfo,
  ModelFiles,
  ModelReady,
  Pixels,
  TrainedSummary,
  TrainingPoint,
  WidgetTrainOptions,
} from './protocol.js';
import { TrainerView } from './view.js';
import { Webcam } from './webcam.js';

/**
 * `<graft-trainer>`: train an image classifier in the page, on the user's GPU.
 *
 * Attributes: `model-url` (a `graft zoo export` folder), `classes` (comma-separated starting
 * classes), `backend` (`auto` | `webgpu` | `webgl` | `wasm` | `cpu`), `strategy`
 * (`feature-extraction` | `fine-tune`), `epochs`, `worker-url` and `wasm-url` (where the
 * worker script and tfjs's `.wasm` files are, default beside this script), `worker` (`off` runs
 * everything on the main thread).
 */
export class GraftTrainer extends HTMLElement {
  static readonly observedAttributes = ['model-url'];

  /** Resolves when the backend runs and the backbone (if any) is loaded; rejects on failure. */
  ready: Promise<void> = Promise.resolve();
  /** Where the engine runs, once started. */
  engineInfo: EngineInfo | null = null;
  /** Model input `[height, width]` (from the backbone, or a loaded model). */
  inputSize: [number, number] | null = null;

  private readonly root: ShadowRoot;
  private readonly report: Reporter;
  private readonly view: TrainerView;
  private readonly cards: ClassList;
  private readonly webcam: Webcam;
  private readonly connection: EngineConnection;
  private readonly models: ModelIO;
  private history: TrainingPoint[] = [];
  private modelClasses: string[] = [];
  private trainingNow = false;
  private readonly scriptUrl: string = import.meta.url;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    const report = new Reporter(this, (text) => this.view.showError(text));
    this.report = report;
    this.view = new TrainerView(this.root, this, {
      report,
      webcamOn: () => this.webcam.on,
      livePredictionOn: () => this.webcam.predicting,
      focusClass: (name) => this.cards.find(name)?.focusName(),
    });
    this.cards = new ClassList(this.view.classList, {
      trainer: this,
      video: this.view.video,
      webcamOn: () => this.webcam.on,
      report,
    });
    this.webcam = new Webcam(this.view, {
      trainer: this,
      report,
      refreshButtons: () => this.refreshButtons(),
    });
    this.connection = new EngineConnection(this, this.scriptUrl, {
      onEvent: (event) => this.onEngineEvent(event),
      onStart: (info) => {
        this.engineInfo = info;
        this.view.showEngine(info);
      },
      report,
    });
    this.models = new ModelIO({
      engine: () => this.engine(),
      report,
      adopt: (ready) => this.adoptModel(ready),
      showStatus: (text) => this.view.showModelStatus(text),
    });
  }

  connectedCallback(): void {
    if (this.cards.length === 0) {
      const initial = (this.getAttribute('classes') ?? 'Class 1,Class 2')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      for (const name of initial) this.addClass(name);
    }
    this.view.training.showSettings(this.getAttribute('strategy'), this.getAttribute('epochs'));
    if (!this.connection.started) this.ready = this.boot();
    this.ready.catch(() => {}); // reported through graft-error; callers awaiting `ready` still see it
  }

  disconnectedCallback(): void {
    this.stopWebcam();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (name === 'model-url' && old !== null && value && old !== value && this.isConnected) {
      this.ready = this.boot();
      this.ready.catch(() => {});
    }
  }

  // ------------------------------------------------------------------------------------ public API

  /** The class names, in output order. */
  get classes(): string[] {
    return this.cards.names;
  }

  /** Adds a class (named `Class N` when no name is given) and returns its name. */
  addClass(name?: string): string {
    const label = this.cards.add(name);
    this.refreshButtons();
    return label;
  }

  /** Removes a class and its examples. */
  async removeClass(name: string): Promise<void> {
    const card = this.cards.find(name);
    if (!card) return;
    this.cards.remove(card);
    this.refreshButtons();
    await (await this.engine()).call('removeClass', { label: name });
  }

  /** Renames a class, keeping its examples. */
  async renameClass(from: string, to: string): Promise<void> {
    const card = this.cards.find(from);
    const target = to.trim();
    if (!card) throw new Error(`there is no class named '${from}'`);
    if (!target) throw new Error('a class needs a name');
    if (target !== from && this.classes.includes(target))
      throw new Error(`there is already a class named '${target}'`);
    await (await this.engine()).call('renameClass', { from, to: target });
    card.rename(target);
  }

  /** Adds one training image to a class (created if new); resolves with the class's example count. */
  async addExample(label: string, image: ImageLike): Promise<number> {
    return this.addExamples(label, [image]);
  }

  /** Adds training images to a class (created if new); resolves with the class's example count. */
  async addExamples(label: string, images: ImageLike[]): Promise<number> {
    // one bad file in a batch ([png, txt, png]) costs that file only: the good ones are added,
    // then the bad ones are reported (shown, `graft-error`, and the promise rejects)
    const pixels: Pixels[] = [];
    const bad: string[] = [];
    try {
      await this.ready;
      const size = this.requireInputSize();
      for (const [i, image] of images.entries()) {
        try {
          pixels.push(await toPixels(image, size, `image ${i + 1} for '${label}'`));
        } catch (err) {
          bad.push(message(err));
        }
      }
      if (pixels.length > 0) {
        if (!this.classes.includes(label)) this.addClass(label);
        const card = this.cards.find(label)!;
        card.showExamples(pixels);
        const count = await (await this.engine()).call(
          'addExamples',
          { label, images: pixels },
          pixels.map((p) => p.pixels.buffer as ArrayBuffer),
        );
        card.setCount(count);
        this.refreshButtons();
      }
    } catch (err) {
      throw isReported(err) ? err : this.report.fail(message(err), 'add images again');
    }
    if (bad.length > 0) {
      const added = pixels.length > 0 ? `added ${pixels.length}, skipped ${bad.length}: ` : '';
      throw this.report.fail(`${added}${bad.join('; ')}`, 'use JPEG, PNG, WebP or GIF images');
    }
    return this.cards.find(label)?.count ?? 0;
  }

  /** Forgets one example of a class (`index` in the order added); resolves with the class's count. */
  async removeExample(label: string, index: number): Promise<number> {
    const card = this.cards.find(label);
    if (!card) throw new Error(`there is no class named '${label}'`);
    card.setCount(await (await this.engine()).call('removeExample', { label, index }));
    this.refreshButtons();
    return card.count;
  }

  /** Forgets every example (the classes stay). */
  async clearExamples(): Promise<void> {
    await (await this.engine()).call('clearExamples', undefined as never);
    this.cards.clear();
    this.refreshButtons();
  }

  /** Trains on the examples (feature extraction unless `strategy: 'fine-tune'`); the chart follows. */
  async train(options: WidgetTrainOptions = {}): Promise<TrainedSummary> {
    await this.ready;
    if (this.trainingNow) throw new Error('training is already running');
    const settings: WidgetTrainOptions = { ...this.view.training.settings(), ...options };
    const empty = this.cards.empty();
    if (this.cards.length < 2)
      throw this.report.fail('add at least two classes before training', 'add a class');
    if (empty.length)
      throw this.report.fail(`add images to ${empty.join(', ')} before training`, 'add examples');
    this.trainingNow = true;
    this.history = [];
    this.view.training.showStarted(this.history);
    this.refreshButtons();
    try {
      const summary = await (await this.engine()).call('train', { classes: this.classes, options: settings });
      this.modelClasses = summary.classes;
      this.view.training.showTrained(summary);
      this.report.dispatch('graft-trained', summary);
      return summary;
    } catch (err) {
      this.view.training.showFailed();
      throw this.report.fail(message(err), 'check the examples and try again');
    } finally {
      this.trainingNow = false;
      this.refreshButtons();
    }
  }

  /** Stops training after the current batch; the model keeps its last consistent weights. */
  async stopTraining(): Promise<void> {
    await this.connection.current?.call('stopTraining', undefined as never);
  }

  /** Class probabilities for one image, best first in `top`. */
  async predict(image: ImageLike, source: 'api' | 'image' | 'webcam' = 'api'): Promise<Prediction> {
    let prediction: Prediction | undefined;
    try {
      // a loaded trained model predicts whatever became of model-url's backbone
      await this.ready.catch((err) => {
        if (this.modelClasses.length === 0) throw err;
      });
      const pixels = await toPixels(image, this.requireInputSize(), 'the image to predict');
      [prediction] = await (await this.engine()).call('predict', { images: [pixels] }, [
        pixels.pixels.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      throw isReported(err) ? err : this.report.fail(message(err), 'train or load a model, then try again');
    }
    this.view.showPrediction(this.modelClasses.length ? this.modelClasses : this.classes, prediction!);
    this.report.dispatch('graft-prediction', { prediction: prediction!, source });
    return prediction!;
  }

  /** The trained model as files: `model.json`, `weights.bin`, `graft.json`. */
  exportFiles(): Promise<ModelFiles> {
    return this.models.files();
  }

  /** The trained model as a ZIP of model.json + weights.bin + graft.json (what `graft predict` reads, unzipped). */
  async export(): Promise<Blob> {
    return zipBlob(await this.exportFiles());
  }

  /** Writes the model's files into a folder the user picks (browsers with the File System Access API). */
  saveToFolder(): Promise<void> {
    return this.models.saveToFolder();
  }

  /**
   * Loads a trained model to predict with: a URL of a model folder or its model.json (`graft
   * export`, `graft train`'s `model/`), a ZIP from `export()`, or the files themselves.
   */
  async load(source: ModelSource): Promise<ModelReady> {
    await this.ready.catch(() => {}); // a trained model brings its own backbone: a failed start is no obstacle
    return this.models.load(source);
  }

  /** Keeps the trained model in this browser's IndexedDB under `name`. */
  saveToBrowser(name = 'default'): Promise<void> {
    return this.models.saveToBrowser(name);
  }

  /** Loads a model saved with {@link saveToBrowser}. */
  async loadFromBrowser(name = 'default'): Promise<ModelReady> {
    await this.ready.catch(() => {});
    return this.models.loadFromBrowser(name);
  }

  /** TF.js memory in the engine (tensors and bytes), to watch for leaks. */
  async memory(): Promise<{ numTensors: number; numBytes: number }> {
    return (await this.engine()).call('memory', undefined as never);
  }

  /** Starts the camera (used by hold-to-record and live prediction). */
  startWebcam(): Promise<void> {
    return this.webcam.start();
  }

  stopWebcam(): void {
    this.webcam.stop();
  }

  /** Predicts on webcam frames continuously until stopped. */
  startLivePrediction(): Promise<void> {
    return this.webcam.startLive();
  }

  stopLivePrediction(): void {
    this.webcam.stopLive();
  }

  // ------------------------------------------------------------------------------------ internals

  /** Starts the engine and loads the backbone of `model-url`, if any. */
  private async boot(): Promise<void> {
    this.view.showError('');
    try {
      const engine = await this.engine();
      const modelUrl = this.getAttribute('model-url');
      let modelId: string | null = null;
      if (modelUrl) {
        this.view.showBackboneLoading();
        const backbone = await engine.call('loadBackbone', {
          modelUrl: new URL(modelUrl, document.baseURI).href,
        });
        this.inputSize = backbone.inputSize;
        modelId = backbone.modelId;
        this.view.showBackbone(backbone);
      } else {
        this.view.showNoBackbone();
      }
      this.refreshButtons();
      this.report.dispatch('graft-ready', { ...this.engineInfo!, modelId, inputSize: this.inputSize });
    } catch (err) {
      this.view.showBackboneFailed();
      throw this.report.fail(
        message(err),
        'check model-url and the network',
        'The model could not be loaded. Check your connection and reload the page, or load a trained model with Load model….',
      );
    }
  }

  private engine(): Promise<EngineClient> {
    return this.connection.get();
  }

  private onEngineEvent(event: EngineEvent): void {
    if (event.type === 'train-progress') this.history.push(event.point);
    this.view.showProgress(event, this.history);
    this.report.dispatch('graft-progress', progressDetail(event));
  }

  private async adoptModel(ready: ModelReady): Promise<void> {
    this.modelClasses = ready.classes;
    // the loaded model is the task now: its classes, with no examples of the old ones left over
    await (await this.engine()).call('clearExamples', undefined as never);
    this.cards.replace(ready.classes);
    if (!this.getAttribute('model-url') || this.inputSize === null) this.inputSize = ready.inputSize;
    this.view.showModelStatus(`Loaded a ${ready.backbone} model: ${ready.classes.join(', ')}`);
    this.refreshButtons();
  }

  private requireInputSize(): [number, number] {
    if (!this.inputSize)
      throw this.report.fail('no model is loaded: set model-url or load a trained model', 'set model-url');
    return this.inputSize;
  }

  private refreshButtons(): void {
    this.view.setButtons({
      training: this.trainingNow,
      canTrain: this.cards.trainable && this.inputSize !== null,
      haveModel: this.modelClasses.length > 0,
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'graft-trainer': GraftTrainer;
  }
}
