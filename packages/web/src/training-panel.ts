import { drawChart } from './chart.js';
import { defaultEpochs, WIDGET_DEFAULTS } from './defaults.js';
import { h } from './dom.js';
import type { Reporter } from './events.js';
import type { EngineEvent, TrainedSummary, TrainingPoint, WidgetTrainOptions } from './protocol.js';
import type { GraftTrainer } from './trainer-element.js';

/** The view's Training section: strategy, epochs, Train and Stop, progress, status and the chart. */
export class TrainingPanel {
  readonly element: HTMLElement;
  private readonly strategy = h('select', { 'aria-label': 'Strategy' }, [
    h('option', { value: 'feature-extraction', text: 'Feature extraction' }),
    h('option', { value: 'fine-tune', text: 'Fine-tune last stage' }),
  ]);
  private readonly epochs = h('input', {
    type: 'number',
    min: 1,
    max: 500,
    value: WIDGET_DEFAULTS.featureExtraction.epochs,
    'aria-label': 'Epochs',
  });
  private readonly batchSize = h('input', {
    type: 'number',
    min: 1,
    max: 512,
    placeholder: '16',
    'aria-label': 'Batch size',
  });
  private readonly lr = h('input', {
    type: 'number',
    min: 0,
    step: 'any',
    placeholder: 'default',
    'aria-label': 'Learning rate',
  });
  private readonly train = h('button', { type: 'button', class: 'primary', text: 'Train' });
  private readonly stop = h('button', { type: 'button', text: 'Stop' });
  private readonly trainBar = h('progress', { 'aria-label': 'Training progress', value: 0 });
  private readonly trainStatus = h('div', {
    class: 'hint',
    role: 'status',
    text: 'Add examples to at least two classes, then train.',
  });
  private readonly chart = lossChart();
  private readonly perClass = h('div', { class: 'hint per-class', 'aria-label': 'Accuracy per class' });
  private readonly validationLegend = h('span', { text: ' (dashed: validation)', hidden: true });

  constructor(trainer: Pick<GraftTrainer, 'train' | 'stopTraining'>, report: Pick<Reporter, 'act'>) {
    this.element = h('section', { 'aria-label': 'Training' }, [
      h('h2', { text: 'Training' }),
      h('div', { class: 'row' }, [this.strategy, h('label', {}, ['Epochs ', this.epochs])]),
      h('details', {}, [
        h('summary', { text: 'Advanced' }),
        h('div', { class: 'row' }, [
          h('label', {}, ['Batch size ', this.batchSize]),
          h('label', {}, ['Learning rate ', this.lr]),
        ]),
      ]),
      h('div', { class: 'row' }, [this.train, this.stop]),
      this.trainBar,
      this.trainStatus,
      this.perClass,
      this.chart,
      h('div', { class: 'legend' }, [
        h('span', { class: 'accuracy', text: '— accuracy (left)' }),
        ' ',
        h('span', { class: 'loss', text: '— loss (right)' }),
        this.validationLegend,
      ]),
    ]);
    this.strategy.addEventListener('change', () => {
      this.epochs.value = String(defaultEpochs(this.strategy.value));
    });
    this.train.addEventListener('click', () => report.act(() => trainer.train()));
    this.stop.addEventListener('click', () => report.act(() => trainer.stopTraining()));
  }

  /** The strategy and epochs the next `train()` uses unless its options say otherwise. */
  settings(): Pick<WidgetTrainOptions, 'strategy' | 'epochs' | 'batchSize' | 'lr'> {
    return {
      strategy: this.strategy.value as WidgetTrainOptions['strategy'],
      epochs: Number(this.epochs.value) || undefined,
      batchSize: Number(this.batchSize.value) || undefined,
      lr: Number(this.lr.value) || undefined,
    };
  }

  /** Shows the `strategy` and `epochs` attributes (the strategy's default epochs without one). */
  showSettings(strategy: string | null, epochs: string | null): void {
    this.strategy.value = strategy === 'fine-tune' ? 'fine-tune' : 'feature-extraction';
    const count = Number(epochs);
    this.epochs.value = String(count > 0 ? count : defaultEpochs(this.strategy.value));
  }

  setButtons(training: boolean, canTrain: boolean): void {
    this.train.disabled = training || !canTrain;
    this.stop.disabled = !training;
  }

  /** Batch progress, and the chart at each epoch's end (`history` so far). */
  showProgress(event: Exclude<EngineEvent, { type: 'load-progress' }>, history: TrainingPoint[]): void {
    if (event.type === 'train-batch') {
      // over the phase's epochs, not the current one's batches (full at epoch 9/50 otherwise)
      this.trainBar.max = event.epochs * event.batches;
      this.trainBar.value = (event.epoch - 1) * event.batches + event.batch;
      this.trainBar.setAttribute('aria-valuetext', `${event.phase}: epoch ${event.epoch} of ${event.epochs}`);
      if (event.batch === 1 && event.epoch === 1)
        this.trainStatus.textContent = `Epoch 1/${event.epochs} (${event.phase})…`;
    } else {
      this.validationLegend.hidden = !drawChart(this.chart, history);
      const p = event.point;
      // the epoch is done, whether or not its last batch was reported
      if (this.trainBar.max > 1) this.trainBar.value = (this.trainBar.max * p.epoch) / p.epochs;
      this.trainStatus.textContent = `Epoch ${p.epoch}/${p.epochs} (${p.phase}) — loss ${p.loss.toFixed(3)}, accuracy ${(p.accuracy * 100).toFixed(0)}%`;
    }
  }

  showStarted(history: TrainingPoint[]): void {
    this.perClass.textContent = '';
    this.validationLegend.hidden = !drawChart(this.chart, history);
    this.trainStatus.textContent = 'Training…';
  }

  showTrained(summary: TrainedSummary): void {
    this.perClass.textContent = `Accuracy per class (${summary.measuredOn} images): ${summary.perClass
      .map((c) => `${c.label} ${(c.accuracy * 100).toFixed(0)}% of ${c.images}`)
      .join(' · ')}`;
    const acc = summary.final ? ` — accuracy ${(summary.final.accuracy * 100).toFixed(0)}%` : '';
    this.trainStatus.textContent =
      summary.stopReason === 'aborted'
        ? `Stopped after ${summary.epochs} epoch(s)${acc}`
        : `Trained ${summary.epochs} epoch(s) on ${summary.examples} images in ${summary.seconds.toFixed(1)} s${acc}`;
  }

  showFailed(): void {
    this.trainStatus.textContent = 'Training failed';
  }
}

/** The loss and accuracy chart (an empty one to start). */
function lossChart(): SVGSVGElement {
  const chart = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  chart.setAttribute('class', 'chart');
  chart.setAttribute('role', 'img');
  chart.setAttribute('aria-label', 'Loss and accuracy per epoch');
  drawChart(chart, []);
  return chart;
}
