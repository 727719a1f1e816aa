import type { Prediction } from '@graft/core';
import { drawChart } from './chart.js';
import { type EngineClient, mainThreadClient, workerClient } from './client.js';
import { type ImageLike, thumbnail, toPixels } from './image.js';
import type {
  BackendPreference,
  EngineEvent,
  EngineInfo,
  ModelFiles,
  ModelReady,
  Pixels,
  TrainedSummary,
  TrainingPoint,
  WidgetTrainOptions,
} from './protocol.js';
import { STYLES } from './styles.js';
import { readZip, writeZip } from './zip.js';

/** The `detail` of each event the element dispatches (they bubble and cross the shadow root). */
export interface GraftTrainerEventMap {
  /** The backend is up and, with `model-url`, the backbone is loaded. */
  'graft-ready': EngineInfo & { modelId: string | null; inputSize: [number, number] | null };
  /** Loading bytes (`stage: 'load'`) or training (`stage: 'train'`, `point` at each epoch end). */
  'graft-progress':
    | { stage: 'load'; loaded: number; total?: number; file: string }
    | {
        stage: 'train';
        phase: string;
        epoch: number;
        batch?: number;
        batches?: number;
        point?: TrainingPoint;
      };
  'graft-trained': TrainedSummary;
  'graft-prediction': { prediction: Prediction; source: 'api' | 'image' | 'webcam' };
  /** Something failed; `message` says what and what to do about it. */
  'graft-error': { message: string; action: string };
}

/** Where a model comes from in `load()`: a URL (folder or model.json), a ZIP, or the files themselves. */
export type ModelSource = string | Blob | ModelFiles | FileList | File[];

interface ClassState {
  name: string;
  count: number;
  card: HTMLElement;
  countLabel: HTMLElement;
  thumbs: HTMLElement;
  nameInput: HTMLInputElement;
}

const MAX_THUMBS = 30;
const RECORD_INTERVAL_MS = 120;
const WORKER_FILE = 'graft-worker.js';

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | boolean | number>> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k === 'text') node.textContent = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children);
  return node;
}

/** Teachable Machine's 50 for a new head; fine-tuning's second phase needs far fewer. */
function defaultEpochs(strategy: string): number {
  return strategy === 'fine-tune' ? 5 : 50;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function cameraMessage(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'camera permission was denied: allow the camera for this site in the browser, or add images from files';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'no camera was found: connect one, or add images from files';
  if (name === 'NotReadableError') return 'the camera is in use by another application';
  return `the camera could not start: ${message(err)}`;
}

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

  private client: EngineClient | null = null;
  private starting: Promise<EngineClient> | null = null;
  private readonly root: ShadowRoot;
  private readonly ui: ReturnType<GraftTrainer['build']>;
  private classStates: ClassState[] = [];
  private history: TrainingPoint[] = [];
  private modelClasses: string[] = [];
  private trainingNow = false;
  private stream: MediaStream | null = null;
  private live = false;
  private readonly scriptUrl: string = import.meta.url;
  private nextClassNumber = 1;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    this.root.adoptedStyleSheets = [sheet];
    this.ui = this.build();
  }

  connectedCallback(): void {
    if (this.classStates.length === 0) {
      const initial = (this.getAttribute('classes') ?? 'Class 1,Class 2')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      for (const name of initial) this.addClass(name);
    }
    this.ui.strategy.value =
      this.getAttribute('strategy') === 'fine-tune' ? 'fine-tune' : 'feature-extraction';
    const epochs = Number(this.getAttribute('epochs'));
    this.ui.epochs.value = String(epochs > 0 ? epochs : defaultEpochs(this.ui.strategy.value));
    if (!this.starting) this.ready = this.boot();
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
    return this.classStates.map((c) => c.name);
  }

  /** Adds a class (named `Class N` when no name is given) and returns its name. */
  addClass(name?: string): string {
    let label = name?.trim() || `Class ${this.nextClassNumber}`;
    while (!name && this.classes.includes(label)) label = `Class ${++this.nextClassNumber}`;
    if (this.classes.includes(label)) throw new Error(`there is already a class named '${label}'`);
    this.nextClassNumber++;
    this.classStates.push(this.buildClassCard(label));
    this.refreshButtons();
    return label;
  }

  /** Removes a class and its examples. */
  async removeClass(name: string): Promise<void> {
    const state = this.classStates.find((c) => c.name === name);
    if (!state) return;
    this.classStates = this.classStates.filter((c) => c !== state);
    state.card.remove();
    this.refreshButtons();
    await (await this.engine()).call('removeClass', { label: name });
  }

  /** Renames a class, keeping its examples. */
  async renameClass(from: string, to: string): Promise<void> {
    const state = this.classStates.find((c) => c.name === from);
    const target = to.trim();
    if (!state) throw new Error(`there is no class named '${from}'`);
    if (!target) throw new Error('a class needs a name');
    if (target !== from && this.classes.includes(target))
      throw new Error(`there is already a class named '${target}'`);
    await (await this.engine()).call('renameClass', { from, to: target });
    state.name = target;
    state.nameInput.value = target;
    state.nameInput.dataset.committed = target;
  }

  /** Adds one training image to a class (created if new); resolves with the class's example count. */
  async addExample(label: string, image: ImageLike): Promise<number> {
    return this.addExamples(label, [image]);
  }

  /** Adds training images to a class (created if new); resolves with the class's example count. */
  async addExamples(label: string, images: ImageLike[]): Promise<number> {
    await this.ready;
    const size = this.requireInputSize();
    const pixels: Pixels[] = [];
    for (const [i, image] of images.entries())
      pixels.push(await toPixels(image, size, `image ${i + 1} for '${label}'`));
    if (!this.classes.includes(label)) this.addClass(label);
    const state = this.classStates.find((c) => c.name === label)!;
    for (const p of pixels) {
      state.thumbs.prepend(thumbnail(p, 36));
      while (state.thumbs.childElementCount > MAX_THUMBS) state.thumbs.lastElementChild!.remove();
    }
    state.count = await (await this.engine()).call(
      'addExamples',
      { label, images: pixels },
      pixels.map((p) => p.pixels.buffer as ArrayBuffer),
    );
    state.countLabel.textContent = `${state.count} image${state.count === 1 ? '' : 's'}`;
    this.refreshButtons();
    return state.count;
  }

  /** Forgets every example (the classes stay). */
  async clearExamples(): Promise<void> {
    await (await this.engine()).call('clearExamples', undefined as never);
    for (const c of this.classStates) {
      c.count = 0;
      c.thumbs.replaceChildren();
      c.countLabel.textContent = '0 images';
    }
    this.refreshButtons();
  }

  /** Trains on the examples (feature extraction unless `strategy: 'fine-tune'`); the chart follows. */
  async train(options: WidgetTrainOptions = {}): Promise<TrainedSummary> {
    await this.ready;
    if (this.trainingNow) throw new Error('training is already running');
    const settings: WidgetTrainOptions = {
      strategy: this.ui.strategy.value as WidgetTrainOptions['strategy'],
      epochs: Number(this.ui.epochs.value) || undefined,
      ...options,
    };
    const empty = this.classStates.filter((c) => c.count === 0).map((c) => `'${c.name}'`);
    if (this.classStates.length < 2)
      throw this.fail('add at least two classes before training', 'add a class');
    if (empty.length) throw this.fail(`add images to ${empty.join(', ')} before training`, 'add examples');
    this.trainingNow = true;
    this.history = [];
    drawChart(this.ui.chart, this.history);
    this.ui.trainStatus.textContent = 'Training…';
    this.refreshButtons();
    try {
      const summary = await (await this.engine()).call('train', { classes: this.classes, options: settings });
      this.modelClasses = summary.classes;
      const acc = summary.final ? ` — accuracy ${(summary.final.accuracy * 100).toFixed(0)}%` : '';
      this.ui.trainStatus.textContent =
        summary.stopReason === 'aborted'
          ? `Stopped after ${summary.epochs} epoch(s)${acc}`
          : `Trained ${summary.epochs} epoch(s) on ${summary.examples} images in ${summary.seconds.toFixed(1)} s${acc}`;
      this.dispatch('graft-trained', summary);
      return summary;
    } catch (err) {
      this.ui.trainStatus.textContent = 'Training failed';
      throw this.fail(message(err), 'check the examples and try again');
    } finally {
      this.trainingNow = false;
      this.refreshButtons();
    }
  }

  /** Stops training after the current batch; the model keeps its last consistent weights. */
  async stopTraining(): Promise<void> {
    await this.client?.call('stopTraining', undefined as never);
  }

  /** Class probabilities for one image, best first in `top`. */
  async predict(image: ImageLike, source: 'api' | 'image' | 'webcam' = 'api'): Promise<Prediction> {
    await this.ready;
    const pixels = await toPixels(image, this.requireInputSize(), 'the image to predict');
    const [prediction] = await (await this.engine()).call('predict', { images: [pixels] }, [
      pixels.pixels.buffer as ArrayBuffer,
    ]);
    this.showPrediction(prediction!);
    this.dispatch('graft-prediction', { prediction: prediction!, source });
    return prediction!;
  }

  /** The trained model as files: `model.json`, `weights.bin`, `graft.json`. */
  async exportFiles(): Promise<ModelFiles> {
    return (await this.engine()).call('exportModel', undefined as never);
  }

  /** The trained model as a ZIP of model.json + weights.bin + graft.json (what `graft predict` reads, unzipped). */
  async export(): Promise<Blob> {
    return new Blob([writeZip(await this.exportFiles())], { type: 'application/zip' });
  }

  /** Writes the model's files into a folder the user picks (browsers with the File System Access API). */
  async saveToFolder(): Promise<void> {
    const picker = (
      globalThis as { showDirectoryPicker?: (o?: object) => Promise<FileSystemDirectoryHandle> }
    ).showDirectoryPicker;
    if (!picker)
      throw this.fail('this browser cannot write to a folder; use Download instead', 'download the ZIP');
    const files = await this.exportFiles();
    const dir = await picker({ mode: 'readwrite' });
    for (const [name, data] of Object.entries(files)) {
      const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await writable.write(data as Uint8Array<ArrayBuffer>);
      await writable.close();
    }
  }

  /**
   * Loads a trained model to predict with: a URL of a model folder or its model.json (`graft
   * export`, `graft train`'s `model/`), a ZIP from `export()`, or the files themselves.
   */
  async load(source: ModelSource): Promise<ModelReady> {
    await this.ready;
    try {
      const engine = await this.engine();
      const ready =
        typeof source === 'string'
          ? await engine.call('loadModel', { url: source })
          : await engine.call('loadModel', { files: await filesOf(source) });
      this.adoptModel(ready);
      return ready;
    } catch (err) {
      throw this.fail(message(err), 'choose a model exported by Graft');
    }
  }

  /** Keeps the trained model in this browser's IndexedDB under `name`. */
  async saveToBrowser(name = 'default'): Promise<void> {
    await (await this.engine()).call('saveToIndexedDB', { name });
    this.ui.modelStatus.textContent = `Saved in this browser as '${name}'`;
  }

  /** Loads a model saved with {@link saveToBrowser}. */
  async loadFromBrowser(name = 'default'): Promise<ModelReady> {
    await this.ready;
    try {
      const ready = await (await this.engine()).call('loadFromIndexedDB', { name });
      this.adoptModel(ready);
      return ready;
    } catch (err) {
      throw this.fail(message(err), 'save a model in this browser first');
    }
  }

  /** TF.js memory in the engine (tensors and bytes), to watch for leaks. */
  async memory(): Promise<{ numTensors: number; numBytes: number }> {
    return (await this.engine()).call('memory', undefined as never);
  }

  /** Starts the camera (used by hold-to-record and live prediction). */
  async startWebcam(): Promise<void> {
    if (this.stream) return;
    try {
      if (!navigator.mediaDevices?.getUserMedia)
        throw Object.assign(new Error('no camera API'), { name: 'NotFoundError' });
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { width: 320, height: 240 },
        audio: false,
      });
    } catch (err) {
      throw this.fail(cameraMessage(err), 'allow the camera or use files');
    }
    this.ui.video.srcObject = this.stream;
    this.ui.video.hidden = false;
    await this.ui.video.play().catch(() => {});
    this.ui.webcam.textContent = 'Stop webcam';
    this.ui.webcam.setAttribute('aria-pressed', 'true');
    this.refreshButtons();
  }

  stopWebcam(): void {
    this.live = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.ui.video.srcObject = null;
    this.ui.video.hidden = true;
    this.ui.webcam.textContent = 'Webcam';
    this.ui.webcam.setAttribute('aria-pressed', 'false');
    this.ui.live.setAttribute('aria-pressed', 'false');
    this.refreshButtons();
  }

  /** Predicts on webcam frames continuously until stopped. */
  async startLivePrediction(): Promise<void> {
    await this.startWebcam();
    if (this.live) return;
    this.live = true;
    this.ui.live.setAttribute('aria-pressed', 'true');
    while (this.live && this.stream) {
      try {
        await this.predict(this.ui.video, 'webcam');
      } catch (err) {
        this.live = false;
        throw this.fail(`live prediction stopped: ${message(err)}`, 'try again');
      }
      await new Promise((r) => requestAnimationFrame(r));
    }
    this.ui.live.setAttribute('aria-pressed', 'false');
  }

  stopLivePrediction(): void {
    this.live = false;
  }

  // ------------------------------------------------------------------------------------ internals

  private async boot(): Promise<void> {
    this.ui.error.textContent = '';
    try {
      const engine = await this.engine();
      const modelUrl = this.getAttribute('model-url');
      let modelId: string | null = null;
      if (modelUrl) {
        this.ui.loadStatus.textContent = 'Loading model…';
        this.ui.loadBar.hidden = false;
        const backbone = await engine.call('loadBackbone', {
          modelUrl: new URL(modelUrl, document.baseURI).href,
        });
        this.inputSize = backbone.inputSize;
        modelId = backbone.modelId;
        this.ui.loadStatus.textContent = `${backbone.modelId} · ${backbone.inputSize[0]}×${backbone.inputSize[1]}`;
        this.ui.loadBar.hidden = true;
      } else {
        this.ui.loadStatus.textContent =
          'No backbone (set model-url to train); load a trained model to predict';
      }
      this.refreshButtons();
      this.dispatch('graft-ready', { ...this.engineInfo!, modelId, inputSize: this.inputSize });
    } catch (err) {
      this.ui.loadBar.hidden = true;
      this.ui.loadStatus.textContent = 'Model not loaded';
      throw this.fail(message(err), 'check model-url and the network');
    }
  }

  /** The engine: a worker when one can run the backend, else the main thread (said in the notes). */
  private engine(): Promise<EngineClient> {
    if (this.client) return Promise.resolve(this.client);
    this.starting ??= this.startEngine().then((c) => (this.client = c));
    return this.starting;
  }

  private async startEngine(): Promise<EngineClient> {
    const backend = (this.getAttribute('backend') ?? 'auto') as BackendPreference;
    if (!['auto', 'webgpu', 'webgl', 'wasm', 'cpu'].includes(backend))
      throw this.fail(
        `backend="${backend}" is not one of auto, webgpu, webgl, wasm, cpu`,
        'fix the backend attribute',
      );
    const wasmBase = new URL(this.getAttribute('wasm-url') ?? './', this.scriptUrl).href;
    const notes: string[] = [];
    const onEvent = (event: EngineEvent) => this.onEngineEvent(event);
    if (this.getAttribute('worker') !== 'off' && typeof Worker !== 'undefined') {
      const url = new URL(this.getAttribute('worker-url') ?? WORKER_FILE, this.scriptUrl);
      let client: EngineClient | null = null;
      try {
        client = workerClient(url, onEvent);
        this.engineInfo = await client.call('init', { backend, wasmBase });
        this.showEngine();
        return client;
      } catch (err) {
        client?.terminate();
        notes.push(
          `a worker could not run ${backend === 'auto' ? 'any backend' : backend} (${message(err)}); training runs on the main thread`,
        );
      }
    } else {
      notes.push('training runs on the main thread (worker="off" or no Worker support)');
    }
    const client = await mainThreadClient(onEvent);
    const info = await client.call('init', { backend, wasmBase });
    this.engineInfo = { ...info, notes: [...notes, ...info.notes] };
    this.showEngine();
    return client;
  }

  private showEngine(): void {
    const info = this.engineInfo!;
    this.ui.backend.textContent = `${info.backend} · ${info.thread === 'worker' ? 'in a worker' : 'main thread'}`;
    this.ui.notes.textContent = info.notes.length ? `Fell back: ${info.notes.join('; ')}` : '';
  }

  private onEngineEvent(event: EngineEvent): void {
    if (event.type === 'load-progress') {
      if (event.total) {
        this.ui.loadBar.max = event.total;
        this.ui.loadBar.value = event.loaded;
      }
      this.dispatch('graft-progress', {
        stage: 'load',
        loaded: event.loaded,
        total: event.total,
        file: event.file,
      });
    } else if (event.type === 'train-batch') {
      this.ui.trainBar.max = event.batches;
      this.ui.trainBar.value = event.batch;
      this.dispatch('graft-progress', {
        stage: 'train',
        phase: event.phase,
        epoch: event.epoch,
        batch: event.batch,
        batches: event.batches,
      });
    } else {
      this.history.push(event.point);
      drawChart(this.ui.chart, this.history);
      const p = event.point;
      this.ui.trainStatus.textContent = `Epoch ${p.epoch}/${p.epochs} (${p.phase}) — loss ${p.loss.toFixed(3)}, accuracy ${(p.accuracy * 100).toFixed(0)}%`;
      this.dispatch('graft-progress', { stage: 'train', phase: p.phase, epoch: p.epoch, point: p });
    }
  }

  private adoptModel(ready: ModelReady): void {
    this.modelClasses = ready.classes;
    if (!this.getAttribute('model-url')) this.inputSize = ready.inputSize;
    this.ui.modelStatus.textContent = `Loaded a ${ready.backbone} model: ${ready.classes.join(', ')}`;
    this.refreshButtons();
  }

  private requireInputSize(): [number, number] {
    if (!this.inputSize)
      throw this.fail('no model is loaded: set model-url or load a trained model', 'set model-url');
    return this.inputSize;
  }

  private dispatch<K extends keyof GraftTrainerEventMap>(type: K, detail: GraftTrainerEventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /** Shows an error, sends `graft-error`, and returns it for the caller to throw. */
  private fail(text: string, action: string): Error {
    this.ui.error.textContent = text;
    this.dispatch('graft-error', { message: text, action });
    const error = new Error(text);
    (error as { reported?: boolean }).reported = true;
    return error;
  }

  /** Runs a UI action; its failure is already shown and dispatched. */
  private act(run: () => Promise<unknown>): void {
    run().catch((err) => {
      if (!(err as { reported?: boolean }).reported) this.fail(message(err), 'try again');
    });
  }

  private showPrediction(prediction: Prediction): void {
    const classes = this.modelClasses.length ? this.modelClasses : this.classes;
    const rows = classes.map((name, i) => {
      const p = prediction.probabilities[i] ?? 0;
      const fill = h('div', { class: 'fill' });
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      return h('div', { class: `bar${i === prediction.index ? ' best' : ''}`, role: 'listitem' }, [
        h('span', { text: name }),
        h(
          'div',
          {
            class: 'track',
            role: 'meter',
            'aria-valuemin': 0,
            'aria-valuemax': 100,
            'aria-valuenow': Math.round(p * 100),
            'aria-label': name,
          },
          [fill],
        ),
        h('span', { text: `${(p * 100).toFixed(0)}%` }),
      ]);
    });
    this.ui.bars.replaceChildren(...rows);
    this.ui.predictStatus.textContent = `${prediction.label} (${(prediction.probability * 100).toFixed(0)}%)`;
  }

  private refreshButtons(): void {
    const enough = this.classStates.length >= 2 && this.classStates.every((c) => c.count > 0);
    const haveModel = this.modelClasses.length > 0;
    this.ui.train.disabled = this.trainingNow || !enough || !this.inputSize;
    this.ui.stop.disabled = !this.trainingNow;
    for (const b of [this.ui.download, this.ui.saveFolder, this.ui.saveBrowser])
      b.disabled = !haveModel || this.trainingNow;
    this.ui.live.disabled = !haveModel;
    this.ui.predictFile.disabled = !haveModel;
  }

  private buildClassCard(name: string): ClassState {
    const nameInput = h('input', { type: 'text', value: name, 'aria-label': 'Class name' });
    nameInput.dataset.committed = name;
    const countLabel = h('span', { class: 'count', text: '0 images' });
    const remove = h('button', {
      type: 'button',
      'aria-label': `Remove class ${name}`,
      title: 'Remove class',
      text: '✕',
    });
    const thumbs = h('div', { class: 'thumbs', role: 'list', 'aria-label': 'Examples' });
    const fileInput = h('input', {
      type: 'file',
      accept: 'image/*',
      multiple: true,
      class: 'visually-hidden',
      tabindex: -1,
    });
    const upload = h('button', { type: 'button', text: 'Upload' });
    const record = h('button', {
      type: 'button',
      text: 'Hold to record',
      title: 'Hold (mouse, touch, Space or Enter) to capture webcam frames',
    });
    const card = h('div', { class: 'class-card', tabindex: 0, role: 'group' }, [
      h('div', { class: 'class-head' }, [nameInput, countLabel, remove]),
      thumbs,
      h('div', { class: 'row' }, [upload, record, fileInput]),
      h('div', { class: 'hint', text: 'or drop or paste images here' }),
    ]);
    const state: ClassState = { name, count: 0, card, countLabel, thumbs, nameInput };
    card.setAttribute('aria-label', `Class ${name}`);

    nameInput.addEventListener('change', () => {
      const from = nameInput.dataset.committed!;
      this.act(async () => {
        try {
          await this.renameClass(from, nameInput.value);
          card.setAttribute('aria-label', `Class ${state.name}`);
        } catch (err) {
          nameInput.value = from;
          throw this.fail(message(err), 'choose another name');
        }
      });
    });
    remove.addEventListener('click', () => this.act(() => this.removeClass(state.name)));
    upload.addEventListener('click', () => fileInput.click());
    fileInput.addEventListener('change', () => {
      const files = [...(fileInput.files ?? [])];
      fileInput.value = '';
      this.act(() => this.addExamples(state.name, files));
    });
    this.acceptImages(card, (images) => this.addExamples(state.name, images));

    let recording = false;
    let timer: ReturnType<typeof setInterval> | null = null;
    const startRecording = () => {
      if (recording) return;
      recording = true;
      record.classList.add('recording');
      record.setAttribute('aria-pressed', 'true');
      this.act(async () => {
        await this.startWebcam();
        if (!recording || timer) return;
        let busy = false;
        timer = setInterval(() => {
          if (busy || !this.stream) return;
          busy = true;
          this.addExample(state.name, this.ui.video)
            .catch((err) => this.fail(message(err), 'try again'))
            .finally(() => {
              busy = false;
            });
        }, RECORD_INTERVAL_MS);
      });
    };
    const stopRecording = () => {
      recording = false;
      if (timer) clearInterval(timer);
      timer = null;
      record.classList.remove('recording');
      record.setAttribute('aria-pressed', 'false');
    };
    record.addEventListener('pointerdown', (e) => {
      record.setPointerCapture?.(e.pointerId);
      startRecording();
    });
    record.addEventListener('pointerup', stopRecording);
    record.addEventListener('pointercancel', stopRecording);
    record.addEventListener('keydown', (e) => {
      if (e.key === ' ' || e.key === 'Enter') {
        e.preventDefault();
        startRecording();
      }
    });
    record.addEventListener('keyup', (e) => {
      if (e.key === ' ' || e.key === 'Enter') stopRecording();
    });
    record.addEventListener('blur', stopRecording);

    this.ui.classList.append(card);
    return state;
  }

  /** Drop and paste of image files onto `target`. */
  private acceptImages(target: HTMLElement, take: (images: File[]) => Promise<unknown>): void {
    target.addEventListener('dragover', (e) => {
      e.preventDefault();
      target.classList.add('dragging');
    });
    target.addEventListener('dragleave', () => target.classList.remove('dragging'));
    target.addEventListener('drop', (e) => {
      e.preventDefault();
      target.classList.remove('dragging');
      const files = [...(e.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/'));
      if (files.length) this.act(() => take(files));
    });
    target.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'));
      if (!files.length) return;
      e.preventDefault();
      this.act(() => take(files));
    });
  }

  private build() {
    const backend = h('span', { class: 'badge', title: 'TF.js backend', text: 'starting…' });
    const loadStatus = h('span', { class: 'badge', text: '' });
    const loadBar = h('progress', { 'aria-label': 'Model download' });
    loadBar.hidden = true;
    const notes = h('div', { class: 'notes', role: 'note' });
    const error = h('div', { class: 'error', role: 'alert' });

    const classList = h('div', { class: 'class-list' });
    const addClass = h('button', { type: 'button', text: '+ Add class' });

    const strategy = h('select', { 'aria-label': 'Strategy' }, [
      h('option', { value: 'feature-extraction', text: 'Feature extraction' }),
      h('option', { value: 'fine-tune', text: 'Fine-tune last stage' }),
    ]);
    const epochs = h('input', { type: 'number', min: 1, max: 500, value: 50, 'aria-label': 'Epochs' });
    const train = h('button', { type: 'button', class: 'primary', text: 'Train' });
    const stop = h('button', { type: 'button', text: 'Stop' });
    const trainBar = h('progress', { 'aria-label': 'Training progress', value: 0 });
    const trainStatus = h('div', {
      class: 'hint',
      role: 'status',
      text: 'Add examples to at least two classes, then train.',
    });
    const chart = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    chart.setAttribute('class', 'chart');
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', 'Loss and accuracy per epoch');
    drawChart(chart, []);

    const webcam = h('button', { type: 'button', text: 'Webcam', 'aria-pressed': 'false' });
    const live = h('button', { type: 'button', text: 'Live prediction', 'aria-pressed': 'false' });
    const predictFile = h('button', { type: 'button', text: 'Predict an image…' });
    const predictInput = h('input', {
      type: 'file',
      accept: 'image/*',
      class: 'visually-hidden',
      tabindex: -1,
    });
    const video = h('video', { muted: true, playsinline: true, autoplay: true, 'aria-label': 'Webcam' });
    video.muted = true;
    video.hidden = true;
    const preview = h('canvas', { class: 'preview', 'aria-label': 'Image to predict' });
    preview.hidden = true;
    const drop = h('div', { class: 'drop', tabindex: 0, text: 'Drop or paste an image here to predict it' });
    const bars = h('div', { class: 'bars', role: 'list', 'aria-label': 'Confidence per class' });
    const predictStatus = h('div', { class: 'hint', role: 'status', 'aria-live': 'polite' });

    const download = h('button', { type: 'button', text: 'Download model (.zip)' });
    const saveFolder = h('button', { type: 'button', text: 'Save to folder…' });
    const saveBrowser = h('button', { type: 'button', text: 'Save in browser' });
    const loadBrowser = h('button', { type: 'button', text: 'Load from browser' });
    const loadFile = h('button', { type: 'button', text: 'Load model…' });
    const loadInput = h('input', {
      type: 'file',
      accept: '.zip,.json,.bin,application/zip,application/json',
      multiple: true,
      class: 'visually-hidden',
      tabindex: -1,
    });
    const modelStatus = h('div', { class: 'hint', role: 'status' });
    if (!(globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker) saveFolder.hidden = true;

    this.root.append(
      h('div', { class: 'status' }, [backend, loadStatus, notes]),
      loadBar,
      error,
      h('div', { class: 'layout' }, [
        h('section', { 'aria-label': 'Classes' }, [h('h2', { text: 'Classes' }), classList, addClass]),
        h('section', { 'aria-label': 'Training' }, [
          h('h2', { text: 'Training' }),
          h('div', { class: 'row' }, [strategy, h('label', {}, ['Epochs ', epochs])]),
          h('div', { class: 'row' }, [train, stop]),
          trainBar,
          trainStatus,
          chart,
          h('div', { class: 'legend' }, [
            h('span', { class: 'loss', text: '— loss' }),
            ' ',
            h('span', { class: 'accuracy', text: '— accuracy' }),
            ' (dashed: validation)',
          ]),
        ]),
        h('section', { 'aria-label': 'Prediction' }, [
          h('h2', { text: 'Preview' }),
          h('div', { class: 'row' }, [webcam, live, predictFile, predictInput]),
          video,
          preview,
          drop,
          predictStatus,
          bars,
          h('h2', { text: 'Model' }),
          h('div', { class: 'row' }, [download, saveFolder, saveBrowser, loadBrowser, loadFile, loadInput]),
          modelStatus,
        ]),
      ]),
    );

    addClass.addEventListener('click', () => {
      const name = this.addClass();
      this.classStates.find((c) => c.name === name)?.nameInput.focus();
    });
    strategy.addEventListener('change', () => {
      epochs.value = String(defaultEpochs(strategy.value));
    });
    train.addEventListener('click', () => this.act(() => this.train()));
    stop.addEventListener('click', () => this.act(() => this.stopTraining()));
    webcam.addEventListener('click', () =>
      this.act(async () => (this.stream ? this.stopWebcam() : this.startWebcam())),
    );
    live.addEventListener('click', () =>
      this.act(async () => (this.live ? this.stopLivePrediction() : this.startLivePrediction())),
    );
    predictFile.addEventListener('click', () => predictInput.click());
    const predictImages = async (files: File[]) => {
      const file = files[0]!;
      const bitmap = await createImageBitmap(file).catch(() => {
        throw this.fail(`${file.name} could not be decoded as an image`, 'choose a PNG, JPEG, GIF or WebP');
      });
      preview.width = bitmap.width;
      preview.height = bitmap.height;
      preview.getContext('2d')!.drawImage(bitmap, 0, 0);
      preview.hidden = false;
      await this.predict(bitmap, 'image');
      bitmap.close();
    };
    predictInput.addEventListener('change', () => {
      const files = [...(predictInput.files ?? [])];
      predictInput.value = '';
      if (files.length) this.act(() => predictImages(files));
    });
    this.acceptImages(drop, predictImages);
    download.addEventListener('click', () =>
      this.act(async () => {
        const blob = await this.export();
        const a = h('a', { download: 'graft-model.zip' });
        a.href = URL.createObjectURL(blob);
        this.root.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      }),
    );
    saveFolder.addEventListener('click', () => this.act(() => this.saveToFolder()));
    saveBrowser.addEventListener('click', () => this.act(() => this.saveToBrowser()));
    loadBrowser.addEventListener('click', () => this.act(() => this.loadFromBrowser()));
    loadFile.addEventListener('click', () => loadInput.click());
    loadInput.addEventListener('change', () => {
      const files = [...(loadInput.files ?? [])];
      loadInput.value = '';
      if (files.length) this.act(() => this.load(files));
    });

    return {
      backend,
      loadStatus,
      loadBar,
      notes,
      error,
      classList,
      strategy,
      epochs,
      train,
      stop,
      trainBar,
      trainStatus,
      chart,
      webcam,
      live,
      predictFile,
      video,
      bars,
      predictStatus,
      download,
      saveFolder,
      saveBrowser,
      loadBrowser,
      modelStatus,
    };
  }
}

/** The files of a model from a ZIP, a FileList/array of files, or a files map. */
async function filesOf(source: Exclude<ModelSource, string>): Promise<ModelFiles> {
  if (source instanceof Blob) {
    const name = source instanceof File ? source.name : 'the model archive';
    return stripFolders(await readZip(new Uint8Array(await source.arrayBuffer()), name));
  }
  const list = typeof FileList !== 'undefined' && source instanceof FileList ? [...source] : source;
  if (Array.isArray(list)) {
    if (list.length === 1 && /\.zip$/i.test(list[0]!.name)) return filesOf(list[0]!);
    const out: ModelFiles = {};
    for (const file of list) out[file.name] = new Uint8Array(await file.arrayBuffer());
    return out;
  }
  return source as ModelFiles;
}

/** A ZIP of a folder (`graft-model/model.json`) reads like one of its files. */
function stripFolders(files: ModelFiles): ModelFiles {
  const json = Object.keys(files).find((n) => n === 'model.json' || n.endsWith('/model.json'));
  if (!json) throw new Error('the archive has no model.json: it is not a model exported by Graft or TF.js');
  const prefix = json.slice(0, json.length - 'model.json'.length);
  const out: ModelFiles = {};
  for (const [name, data] of Object.entries(files))
    if (name.startsWith(prefix)) out[name.slice(prefix.length)] = data;
  return out;
}

declare global {
  interface HTMLElementTagNameMap {
    'graft-trainer': GraftTrainer;
  }
  interface HTMLElementEventMap {
    'graft-ready': CustomEvent<GraftTrainerEventMap['graft-ready']>;
    'graft-progress': CustomEvent<GraftTrainerEventMap['graft-progress']>;
    'graft-trained': CustomEvent<GraftTrainerEventMap['graft-trained']>;
    'graft-prediction': CustomEvent<GraftTrainerEventMap['graft-prediction']>;
    'graft-error': CustomEvent<GraftTrainerEventMap['graft-error']>;
  }
}
