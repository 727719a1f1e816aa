// A training run as one self-contained HTML page (charts as inline SVG, images as data URLs), so
// it can be opened, mailed or archived without a server; no DOM, so Node and browsers both write it.
import type { ClassifierEvaluation } from '../classifier/classifier.js';
import type { EpochLog } from '../train/loop.js';

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** One line of a {@link lineChart}. */
export interface Series {
  name: string;
  values: (number | undefined)[];
  colour: string;
}

/** A small self-contained SVG line chart (in a `<figure>`); empty when no value is finite. */
export function lineChart(
  title: string,
  series: Series[],
  yLabel: string,
  xLabels?: readonly [string, string],
): string {
  const width = 420;
  const height = 220;
  const pad = { l: 46, r: 10, t: 24, b: 30 };
  const all = series.flatMap((s) =>
    s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)),
  );
  const n = Math.max(...series.map((s) => s.values.length), 1);
  if (all.length === 0) return '';
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-9) {
    hi += 0.5;
    lo -= 0.5;
  }
  const x = (i: number) => pad.l + (n === 1 ? 0.5 : i / (n - 1)) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / (hi - lo)) * (height - pad.t - pad.b);
  const paths = series
    .map((s) => {
      const pts = s.values
        .map((v, i) => (v === undefined ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
        .filter(Boolean);
      if (pts.length === 0) return '';
      const dots = pts
        .map((p) => `<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="2.5" fill="${s.colour}"/>`)
        .join('');
      return `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.join(' ')}"/>${dots}`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<text x="${pad.l + 8 + i * 110}" y="14" fill="${s.colour}" font-size="12">■ ${esc(s.name)}</text>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">
<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="#fafafa" stroke="#ccc"/>
<text x="4" y="${pad.t + 8}" font-size="11">${hi.toFixed(3)}</text><text x="4" y="${height - pad.b}" font-size="11">${lo.toFixed(3)}</text>
<text x="${pad.l}" y="${height - 8}" font-size="11">${esc(xLabels?.[0] ?? 'epoch 1')}</text><text x="${width - pad.r - 50}" y="${height - 8}" font-size="11">${esc(xLabels?.[1] ?? `epoch ${n}`)}</text>
<text x="4" y="${height / 2}" font-size="11" transform="rotate(-90 10 ${height / 2})">${esc(yLabel)}</text>
${legend}${paths}</svg></figure>`;
}

function confusionTable(e: ClassifierEvaluation): string {
  const max = Math.max(1, ...e.confusion.flat());
  const head = `<tr><th>true \\ predicted</th>${e.labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>`;
  const rows = e.confusion
    .map(
      (row, i) =>
        `<tr><th>${esc(e.labels[i])}</th>${row
          .map((v, j) => {
            const a = (v / max).toFixed(3);
            const colour = i === j ? `rgba(34,139,34,${a})` : `rgba(220,20,60,${a})`;
            return `<td style="background:${colour}">${v}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<table class="confusion">${head}${rows}</table>`;
}

function perClassTable(e: ClassifierEvaluation): string {
  const rows = e.perClass
    .map(
      (m) =>
        `<tr><td>${esc(m.label)}</td><td>${pct(m.precision)}</td><td>${pct(m.recall)}</td><td>${pct(m.f1)}</td><td>${m.support}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>images</th></tr>${rows}
<tr><th>macro average</th><th>${pct(e.macro.precision)}</th><th>${pct(e.macro.recall)}</th><th>${pct(e.macro.f1)}</th><th>${e.examples}</th></tr></table>`;
}

/** A small picture of an image as a data URL (or null when it cannot be read). */
export type Thumbnail = (id: string) => Promise<string | null>;

async function wrongGallery(
  e: ClassifierEvaluation,
  thumbnail: Thumbnail | undefined,
  limit = 12,
): Promise<string> {
  const wrong = e.predictions
    .filter((p) => !p.correct)
    .sort((a, b) => b.probability - a.probability)
    .slice(0, limit);
  if (wrong.length === 0) return '<p>No validation image was misclassified.</p>';
  const items = await Promise.all(
    wrong.map(async (p) => {
      const src = (await thumbnail?.(p.id)) ?? null;
      const img = src
        ? `<img src="${src}" alt="${esc(p.id)}">`
        : '<div class="missing">(image not readable)</div>';
      return `<figure class="thumb">${img}<figcaption><b>${esc(p.predicted)}</b> ${pct(p.probability)}<br>truly ${esc(p.label)}<br><small>${esc(p.id)}</small></figcaption></figure>`;
    }),
  );
  return `<div class="gallery">${items.join('')}</div>`;
}

/** The widest top-k that says something: k below the number of classes (top-5 of 5 is 100%). */
function topKText(e: ClassifierEvaluation): string {
  const k = Math.max(
    0,
    ...Object.keys(e.topK)
      .map(Number)
      .filter((k) => k > 1 && k < e.labels.length),
  );
  return k > 0 ? ` · top-${k} ${pct(e.topK[k] ?? 0)}` : '';
}

/** What a training report shows. */
export interface TrainingReport {
  /** Each epoch's log, in order (a phase per section). */
  history: readonly EpochLog[];
  /** The evaluation on validation data, if there was any. */
  evaluation: ClassifierEvaluation | null;
  /** What was trained: the strategy, the model id, its weights and the classes. */
  strategy?: string;
  model?: string;
  weights?: string;
  classes?: readonly string[];
  trainImages?: number;
  validationImages?: number;
  /** Files left out of the data, with why. */
  skipped?: readonly { path: string; reason: string }[];
  /** The run's settings, shown as JSON. */
  config?: unknown;
  /** Pictures of the most confidently wrong validation images, by image id. */
  thumbnail?: Thumbnail;
}

/**
 * A training run as one self-contained HTML page: accuracy, loss and accuracy curves per phase,
 * the confusion matrix, per-class precision/recall/F1, the most confidently wrong validation
 * images and the skipped files (fastai's `ClassificationInterpretation`, as a page).
 */
export async function trainingReportHtml(report: TrainingReport): Promise<string> {
  const metrics = report.history;
  const evaluation = report.evaluation;
  const phases = [...new Set(metrics.map((m) => m.phase))];
  const charts = phases
    .map((phase) => {
      const logs = metrics.filter((m) => m.phase === phase);
      return `<h3>${esc(phase)}</h3><div class="charts">${lineChart(
        `${phase}: loss`,
        [
          { name: 'train', values: logs.map((l) => l.loss), colour: '#1f77b4' },
          { name: 'validation', values: logs.map((l) => l.val_loss), colour: '#ff7f0e' },
        ],
        'loss',
      )}${lineChart(
        `${phase}: accuracy`,
        [
          { name: 'train', values: logs.map((l) => l.accuracy), colour: '#1f77b4' },
          { name: 'validation', values: logs.map((l) => l.val_accuracy), colour: '#ff7f0e' },
        ],
        'accuracy',
      )}</div>`;
    })
    .join('');
  const skipped = report.skipped ?? [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Graft run report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1000px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
.confusion td{min-width:2.5rem;text-align:center}.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-weight:600}
.gallery{display:flex;flex-wrap:wrap;gap:.75rem}.thumb{width:130px;font-size:12px}.thumb img{display:block;max-width:96px;max-height:96px}
pre{background:#f6f6f6;padding:.75rem;overflow:auto}.big{font-size:2rem;font-weight:700}
</style></head><body>
<h1>Graft run report</h1>
<p>${esc(report.strategy ?? 'training')} on <code>${esc(report.model ?? '')}</code> (${esc(report.weights ?? '')}), classes ${esc(report.classes?.join(', ') ?? '')}.
${report.trainImages ?? 0} training and ${report.validationImages ?? 0} validation images; ${skipped.length} skipped.</p>
${evaluation ? `<p>Validation accuracy <span class="big">${pct(evaluation.accuracy)}</span> · loss ${evaluation.loss.toFixed(4)} ${topKText(evaluation)}</p>` : '<p>No validation data: no evaluation.</p>'}
<h2>Training curves</h2>${charts || '<p>No epochs recorded.</p>'}
${evaluation ? `<h2>Confusion matrix</h2>${confusionTable(evaluation)}<h2>Per class</h2>${perClassTable(evaluation)}<h2>Most confidently wrong validation images</h2>${await wrongGallery(evaluation, report.thumbnail)}` : ''}
<h2>Skipped files</h2>${skipped.length ? `<table><tr><th>file</th><th>reason</th></tr>${skipped.map((s) => `<tr><td>${esc(s.path)}</td><td>${esc(s.reason)}</td></tr>`).join('')}</table>` : '<p>None.</p>'}
${report.config === undefined ? '' : `<h2>Configuration</h2><pre>${esc(JSON.stringify(report.config, null, 2))}</pre>`}
</body></html>
`;
}
