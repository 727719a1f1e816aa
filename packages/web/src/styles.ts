/**
 * The widget's styles, adopted as a constructed stylesheet (so a strict CSP needs no
 * 'unsafe-inline'). Theme it from the page with the custom properties on `:host`.
 */
export const STYLES = `
:host {
  --graft-font: system-ui, sans-serif;
  --graft-fg: #1d2330;
  --graft-muted: #5d6678;
  --graft-bg: #ffffff;
  --graft-surface: #f4f6fa;
  --graft-border: #d5dae3;
  --graft-accent: #2a63c9;
  --graft-accent-fg: #ffffff;
  --graft-danger: #c0392b;
  --graft-radius: 8px;
  --graft-gap: 12px;
  display: block;
  container-type: inline-size;
  font: 14px/1.4 var(--graft-font);
  color: var(--graft-fg);
  background: var(--graft-bg);
  border: 1px solid var(--graft-border);
  border-radius: var(--graft-radius);
  padding: var(--graft-gap);
  box-sizing: border-box;
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
h2 { font-size: 1em; margin: 0 0 6px; }
.status { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: var(--graft-gap); }
.badge { background: var(--graft-surface); border: 1px solid var(--graft-border); border-radius: 999px; padding: 1px 10px; font-size: 0.85em; }
.notes { color: var(--graft-muted); font-size: 0.85em; }
.error { color: var(--graft-danger); font-size: 0.9em; }
.error:empty, .notes:empty { display: none; }
.layout { display: grid; grid-template-columns: 1fr; gap: var(--graft-gap); }
@container (min-width: 720px) { .layout { grid-template-columns: 3fr 2fr 3fr; } }
section { background: var(--graft-surface); border-radius: var(--graft-radius); padding: 10px; min-width: 0; }
.class-card { background: var(--graft-bg); border: 1px solid var(--graft-border); border-radius: var(--graft-radius); padding: 8px; margin-bottom: 8px; }
.class-card:focus-within, .class-card.dragging { outline: 2px solid var(--graft-accent); }
.class-head { display: flex; gap: 6px; align-items: center; }
.class-head input { flex: 1; min-width: 0; font: inherit; padding: 2px 6px; border: 1px solid var(--graft-border); border-radius: 4px; }
.count { color: var(--graft-muted); font-size: 0.85em; white-space: nowrap; }
.thumbs { display: flex; flex-wrap: wrap; gap: 3px; margin: 6px 0; min-height: 20px; }
.thumbs canvas { border-radius: 3px; image-rendering: auto; }
.hint { color: var(--graft-muted); font-size: 0.8em; }
@media (pointer: coarse) { .pointer-fine { display: none; } }
.row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 6px 0; }
button, select, .file-button {
  font: inherit; border: 1px solid var(--graft-border); background: var(--graft-bg); color: var(--graft-fg);
  border-radius: 6px; padding: 4px 10px; cursor: pointer;
}
button.primary { background: var(--graft-accent); color: var(--graft-accent-fg); border-color: var(--graft-accent); }
button:disabled { opacity: 0.5; cursor: default; }
button:focus-visible, select:focus-visible, input:focus-visible { outline: 2px solid var(--graft-accent); outline-offset: 1px; }
button[aria-pressed=true] { border-color: var(--graft-accent); box-shadow: inset 0 0 0 1px var(--graft-accent); }
section h2:not(:first-child) { margin-top: 12px; }
button.recording { background: var(--graft-danger); color: #fff; border-color: var(--graft-danger); }
input[type=number] { width: 5em; font: inherit; }
progress { width: 100%; height: 8px; }
svg.chart { width: 100%; height: auto; background: var(--graft-bg); border-radius: 4px; }
svg.chart .axis { stroke: var(--graft-border); }
svg.chart .tick { fill: var(--graft-muted); font-size: 11px; }
svg.chart .series { fill: none; stroke-width: 1.8; }
svg.chart circle.series { stroke: none; }
svg.chart .loss { stroke: var(--graft-danger); fill: var(--graft-danger); }
svg.chart .accuracy { stroke: var(--graft-accent); fill: var(--graft-accent); }
svg.chart polyline.series { fill: none; }
svg.chart .val { stroke-dasharray: 4 3; }
.legend { font-size: 0.8em; color: var(--graft-muted); }
.thumb { position: relative; }
video.in-card { width: 100%; border-radius: 4px; }
.thumb .remove-example { position: absolute; top: -6px; right: -6px; padding: 0 4px; font-size: 11px; line-height: 1.2; opacity: 0; }
.thumb:hover .remove-example, .thumb .remove-example:focus { opacity: 1; }
/* touch screens: every control at least 44 × 44 px (WCAG 2.5.5); an example's remove button sits
   under its thumbnail, not on its corner, so that it cannot be hit for a neighbour */
@media (pointer: coarse) {
  button, select, .file-button, summary, .class-head input, input[type=number] { min-height: 44px; min-width: 44px; }
  summary { padding: 12px 0; box-sizing: border-box; }
  .thumbs { gap: 6px; }
  .thumb { display: flex; flex-direction: column; align-items: center; }
  .thumb .remove-example { position: static; opacity: 1; font-size: 16px; }
}
.usage pre { white-space: pre-wrap; font-size: 0.8em; background: var(--graft-surface); padding: 6px; border-radius: 4px; }
.legend .loss { color: var(--graft-danger); }
.legend .accuracy { color: var(--graft-accent); }
video, .preview { width: 100%; max-height: 220px; object-fit: contain; background: #000; border-radius: 4px; }
video[hidden], .preview[hidden] { display: none; }
.drop { border: 2px dashed var(--graft-border); border-radius: var(--graft-radius); padding: 8px; text-align: center; color: var(--graft-muted); }
.drop.dragging { border-color: var(--graft-accent); }
.bars { display: grid; gap: 4px; margin-top: 6px; }
.bar { display: grid; grid-template-columns: minmax(4em, 1fr) 3fr 3.5em; gap: 6px; align-items: center; font-size: 0.9em; }
.bar .track { background: var(--graft-bg); border: 1px solid var(--graft-border); border-radius: 4px; height: 12px; overflow: hidden; }
.bar .fill { background: var(--graft-accent); height: 100%; width: 0; transition: width 120ms; }
.bar.best { font-weight: 600; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
