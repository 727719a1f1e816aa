// Shows the widget's DOM events, as a host page would use them.
const log = document.getElementById('log');
const show = (text) => {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  log.prepend(item);
  while (log.childElementCount > 50) log.lastElementChild.remove();
};
const trainer = document.getElementById('trainer');
trainer.addEventListener('graft-ready', (e) =>
  show(`ready: ${e.detail.backend} (${e.detail.thread}), ${e.detail.modelId ?? 'no backbone'}`),
);
trainer.addEventListener('graft-progress', (e) => {
  if (e.detail.point) show(`epoch ${e.detail.point.epoch}: loss ${e.detail.point.loss.toFixed(3)}`);
});
trainer.addEventListener('graft-trained', (e) =>
  show(`trained: ${e.detail.epochs} epochs, ${e.detail.examples} images`),
);
trainer.addEventListener('graft-prediction', (e) => {
  if (e.detail.source !== 'webcam') show(`prediction: ${e.detail.prediction.label}`);
});
trainer.addEventListener('graft-error', (e) => show(`error: ${e.detail.message}`));
