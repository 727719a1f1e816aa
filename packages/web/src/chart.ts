import type { TrainingPoint } from './protocol.js';

const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

interface Series {
  name: string;
  className: string;
  values: (number | undefined)[];
  /** Fixed range, or scaled to the data. */
  range?: [number, number];
}

/**
 * Redraws the training chart: accuracy on the left axis (0–100%), loss on the right one (0 to its
 * largest value), validation dashed, as an SVG that fills its box. Returns whether validation
 * lines were drawn (the legend mentions them only then).
 */
export function drawChart(svg: SVGSVGElement, points: readonly TrainingPoint[]): boolean {
  const width = 320;
  const height = 140;
  const pad = { left: 34, right: 40, top: 10, bottom: 20 };
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.replaceChildren();
  const n = points.length;
  const maxLoss = Math.max(1e-6, ...points.flatMap((p) => [p.loss, p.valLoss ?? 0]));
  const series: Series[] = [
    { name: 'loss', className: 'loss', values: points.map((p) => p.loss), range: [0, maxLoss] },
    { name: 'accuracy', className: 'accuracy', values: points.map((p) => p.accuracy), range: [0, 1] },
    { name: 'val loss', className: 'loss val', values: points.map((p) => p.valLoss), range: [0, maxLoss] },
    {
      name: 'val accuracy',
      className: 'accuracy val',
      values: points.map((p) => p.valAccuracy),
      range: [0, 1],
    },
  ];
  const x = (i: number) => pad.left + (n <= 1 ? 0 : (i / (n - 1)) * (width - pad.left - pad.right));
  const y = (v: number, [lo, hi]: [number, number]) =>
    pad.top + (1 - (v - lo) / (hi - lo || 1)) * (height - pad.top - pad.bottom);
  svg.append(
    el('line', {
      x1: pad.left,
      y1: height - pad.bottom,
      x2: width - pad.right,
      y2: height - pad.bottom,
      class: 'axis',
    }),
    el('line', { x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom, class: 'axis' }),
    el('line', {
      x1: width - pad.right,
      y1: pad.top,
      x2: width - pad.right,
      y2: height - pad.bottom,
      class: 'axis',
    }),
  );
  const label = (text: string, attrs: Record<string, string | number>) => {
    const t = el('text', { class: 'tick', ...attrs });
    t.textContent = text;
    return t;
  };
  svg.append(
    label('100%', { x: pad.left - 3, y: pad.top + 4, 'text-anchor': 'end', class: 'tick accuracy-axis' }),
    label('0%', {
      x: pad.left - 3,
      y: height - pad.bottom,
      'text-anchor': 'end',
      class: 'tick accuracy-axis',
    }),
    label(n ? maxLoss.toPrecision(2) : '', {
      x: width - pad.right + 3,
      y: pad.top + 4,
      class: 'tick loss-axis',
    }),
    label('0', { x: width - pad.right + 3, y: height - pad.bottom, class: 'tick loss-axis' }),
    label(n ? `epoch ${n}` : 'no epochs yet', { x: width - pad.right, y: height - 4, 'text-anchor': 'end' }),
  );
  let validation = false;
  for (const s of series) {
    const coords = s.values.flatMap((v, i) =>
      v === undefined ? [] : [`${x(i).toFixed(1)},${y(v, s.range!).toFixed(1)}`],
    );
    if (coords.length === 0) continue;
    if (s.className.includes('val')) validation = true;
    const path = el(coords.length === 1 ? 'circle' : 'polyline', { class: `series ${s.className}` });
    if (coords.length === 1) {
      const [cx, cy] = coords[0]!.split(',');
      path.setAttribute('cx', cx!);
      path.setAttribute('cy', cy!);
      path.setAttribute('r', '2.5');
    } else path.setAttribute('points', coords.join(' '));
    const title = el('title', {});
    title.textContent = s.name;
    path.append(title);
    svg.append(path);
  }
  return validation;
}
