import type { Prediction } from '@graft/core';
import { acceptImages, h } from './dom.js';
import type { Reporter } from './events.js';
import { downloadBlob, folderPicker, MODEL_ZIP_NAME } from './model-files.js';
import type { BackboneReady, EngineEvent, EngineInfo, TrainingPoint } from './protocol.js';
import { STYLES } from './styles.js';
import type { GraftTrainer } from './trainer-element.js';
import { TrainingPanel } from './training-panel.js';

/** What else the view's controls need from the element. */
export interface ViewHost {
  report: Pick<Reporter, 'act' | 'fail'>;
  webcamOn(): boolean;
  livePredictionOn(): boolean;
  /** Focuses the name of the class card `name`. */
  focusClass(name: string): void;
}

/** The element's shadow DOM: status, classes, training, preview and model sections, and their updates. */
export class TrainerView {
  /** Where the class cards go. */
  readonly classList = h('div', { class: 'class-list' });
  readonly training: TrainingPanel;
  /** The webcam's picture (hold-to-record and live prediction read its frames). */
  readonly video = h('video', { muted: true, playsinline: true, autoplay: true, 'aria-label': 'Webcam' });

  private readonly backend = h('span', { class: 'badge', title: 'TF.js backend', text: 'starting…' });
  private readonly loadStatus = h('span', { class: 'badge', text: '' });
  private readonly loadBar = h('progress', { 'aria-label': 'Model download' });
  private readonly notes = h('div', { class: 'notes', role: 'note' });
  private readonly error = h('div', { class: 'error', role: 'alert' });
  private readonly webcam = h('button', { type: 'button', text: 'Webcam', 'aria-pressed': 'false' });
  private readonly live = h('button', { type: 'button', text: 'Live prediction', 'aria-pressed': 'false' });
  private readonly predictFile = h('button', { type: 'button', text: 'Predict an image…' });
  private readonly preview = h('canvas', { class: 'preview', 'aria-label': 'Image to predict' });
  private readonly bars = h('div', { class: 'bars', role: 'list', 'aria-label': 'Confidence per class' });
  private readonly predictStatus = h('div', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  private readonly download = h('button', { type: 'button', text: 'Download model (.zip)' });
  /** How to use the downloaded model elsewhere, once there is one (Teachable Machine's "Export" code). */
  private readonly usage = h('details', { class: 'usage', hidden: true }, [
    h('summary', { text: 'Use this model' }),
    h('pre', {
      text: [
        '# unzip graft-model.zip, then on the command line:',
        'npx @graft/cli predict graft-model/ photo.jpg',
        '',
        '// or in JavaScript, with TensorFlow.js alone:',
        "const model = await tf.loadLayersModel('graft-model/model.json');",
        'const { labels } = model.getUserDefinedMetadata().graft; // class names, in output order',
      ].join('\n'),
    }),
  ]);
  private readonly saveFolder = h('button', { type: 'button', text: 'Save to folder…' });
  private readonly saveBrowser = h('button', { type: 'button', text: 'Save in browser' });
  private readonly modelStatus = h('div', { class: 'hint', role: 'status' });

  constructor(root: ShadowRoot, trainer: GraftTrainer, host: ViewHost) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
    root.adoptedStyleSheets = [sheet];
    const { report } = host;
    this.training = new TrainingPanel(trainer, report);
    const addClass = h('button', { type: 'button', text: '+ Add class' });
    const predictInput = fileInput('image/*', false);
    const drop = h('div', { class: 'drop', tabindex: 0, text: 'Drop or paste an image here to predict it' });
    const loadBrowser = h('button', { type: 'button', text: 'Load from browser' });
    const loadFile = h('button', { type: 'button', text: 'Load model…' });
    const loadInput = fileInput('.zip,.json,.bin,application/zip,application/json', true);
    this.loadBar.hidden = true;
    this.video.muted = true;
    this.video.hidden = true;
    this.preview.hidden = true;
    if (!folderPicker()) this.saveFolder.hidden = true;

    root.append(
      h('div', { class: 'status' }, [this.backend, this.loadStatus, this.notes]),
      this.loadBar,
      this.error,
      h('div', { class: 'layout' }, [
        h('section', { 'aria-label': 'Classes' }, [h('h2', { text: 'Classes' }), this.classList, addClass]),
        this.training.element,
        h('section', { 'aria-label': 'Prediction' }, [
          h('h2', { text: 'Preview' }),
          h('div', { class: 'row' }, [this.webcam, this.live, this.predictFile, predictInput]),
          this.video,
          this.preview,
          drop,
          this.predictStatus,
          this.bars,
          h('h2', { text: 'Model' }),
          h('div', { class: 'row' }, [
            this.download,
            this.saveFolder,
            this.saveBrowser,
            loadBrowser,
            loadFile,
            loadInput,
          ]),
          this.modelStatus,
          this.usage,
        ]),
      ]),
    );

    addClass.addEventListener('click', () => host.focusClass(trainer.addClass()));
    this.webcam.addEventListener('click', () =>
      report.act(async () => (host.webcamOn() ? trainer.stopWebcam() : trainer.startWebcam())),
    );
    this.live.addEventListener('click', () =>
      report.act(async () =>
        host.livePredictionOn() ? trainer.stopLivePrediction() : trainer.startLivePrediction(),
      ),
    );
    this.predictFile.addEventListener('click', () => predictInput.click());
    const predictImages = async (files: File[]) => {
      const file = files[0]!;
      const bitmap = await createImageBitmap(file).catch(() => {
        throw report.fail(`${file.name} could not be decoded as an image`, 'choose a PNG, JPEG, GIF or WebP');
      });
      this.preview.width = bitmap.width;
      this.preview.height = bitmap.height;
      this.preview.getContext('2d')!.drawImage(bitmap, 0, 0);
      this.preview.hidden = false;
      await trainer.predict(bitmap, 'image');
      bitmap.close();
    };
    onFiles(predictInput, (files) => report.act(() => predictImages(files)));
    acceptImages(drop, predictImages, (run) => report.act(run));
    this.download.addEventListener('click', () =>
      report.act(async () => downloadBlob(root, await trainer.export(), MODEL_ZIP_NAME)),
    );
    this.saveFolder.addEventListener('click', () => report.act(() => trainer.saveToFolder()));
    this.saveBrowser.addEventListener('click', () => report.act(() => trainer.saveToBrowser()));
    loadBrowser.addEventListener('click', () => report.act(() => trainer.loadFromBrowser()));
    loadFile.addEventListener('click', () => loadInput.click());
    onFiles(loadInput, (files) => report.act(() => trainer.load(files)));
  }

  showError(text: string): void {
    this.error.textContent = text;
  }

  showEngine(info: EngineInfo): void {
    this.backend.textContent = `${info.backend} · ${info.thread === 'worker' ? 'in a worker' : 'main thread'}`;
    this.notes.textContent = info.notes.length ? `Fell back: ${info.notes.join('; ')}` : '';
  }

  showBackboneLoading(): void {
    this.loadStatus.textContent = 'Loading model…';
    this.loadBar.hidden = false;
  }

  showBackbone(backbone: BackboneReady): void {
    this.loadStatus.textContent = `${backbone.modelId} · ${backbone.inputSize[0]}×${backbone.inputSize[1]}`;
    this.loadBar.hidden = true;
  }

  showNoBackbone(): void {
    this.loadStatus.textContent = 'No backbone (set model-url to train); load a trained model to predict';
  }

  showBackboneFailed(): void {
    this.loadBar.hidden = true;
    this.loadStatus.textContent = 'Model not loaded';
  }

  /** Which controls can be used now. */
  setButtons({
    training,
    canTrain,
    haveModel,
  }: {
    training: boolean;
    canTrain: boolean;
    haveModel: boolean;
  }): void {
    this.training.setButtons(training, canTrain);
    for (const b of [this.download, this.saveFolder, this.saveBrowser]) b.disabled = !haveModel || training;
    this.live.disabled = !haveModel;
    this.predictFile.disabled = !haveModel;
    this.usage.hidden = !haveModel;
  }

  /** Download progress; training progress goes to the Training section. */
  showProgress(event: EngineEvent, history: TrainingPoint[]): void {
    if (event.type !== 'load-progress') this.training.showProgress(event, history);
    else if (event.total) {
      this.loadBar.max = event.total;
      this.loadBar.value = event.loaded;
    }
  }

  async showWebcam(stream: MediaStream): Promise<void> {
    this.video.srcObject = stream;
    this.video.hidden = false;
    await this.video.play().catch(() => {});
    this.webcam.textContent = 'Stop webcam';
    this.webcam.setAttribute('aria-pressed', 'true');
  }

  hideWebcam(): void {
    this.video.srcObject = null;
    this.video.hidden = true;
    this.webcam.textContent = 'Webcam';
    this.webcam.setAttribute('aria-pressed', 'false');
    this.showLive(false);
  }

  showLive(on: boolean): void {
    this.live.setAttribute('aria-pressed', String(on));
  }

  /** A confidence bar per class (`classes` in the model's output order), the best one marked. */
  showPrediction(classes: string[], prediction: Prediction): void {
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
    this.bars.replaceChildren(...rows);
    this.predictStatus.textContent = `${prediction.label} (${(prediction.probability * 100).toFixed(0)}%)`;
  }

  showModelStatus(text: string): void {
    this.modelStatus.textContent = text;
  }
}

/** A hidden file input (its button clicks it). */
function fileInput(accept: string, multiple: boolean): HTMLInputElement {
  // a labelled button in front is the control; this one would read as "Choose File"
  return h('input', {
    type: 'file',
    accept,
    multiple,
    class: 'visually-hidden',
    tabindex: -1,
    'aria-hidden': 'true',
  });
}

/** Calls `take` with the files chosen in `input`, and clears it for the next choice. */
function onFiles(input: HTMLInputElement, take: (files: File[]) => void): void {
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) take(files);
  });
}
