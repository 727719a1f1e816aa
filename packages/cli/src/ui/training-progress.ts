import type { EpochLog, ProgressEvent } from '@graft/core';

/** 0.1, 0.0032, 1e-5: short and exact enough for a log-grid strength. */
export function formatStrength(l2: number): string {
  return l2 !== 0 && l2 < 1e-3 ? l2.toExponential(1) : String(Number(l2.toPrecision(2)));
}

function fmt(n: number | undefined, digits = 4): string {
  return n === undefined ? '-' : n.toFixed(digits);
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One line per epoch, for logs and pipes. */
export function epochLine(log: EpochLog, epochs: number): string {
  const val =
    log.val_loss !== undefined ? ` val_loss ${fmt(log.val_loss)} val_accuracy ${fmt(log.val_accuracy)}` : '';
  if (log.l2 !== undefined) {
    return `${log.phase} head solved (L2 ${formatStrength(log.l2)}): loss ${fmt(log.loss)} accuracy ${fmt(log.accuracy)}${val} (${log.seconds.toFixed(1)}s)`;
  }
  return `${log.phase} epoch ${log.epoch}/${epochs}: loss ${fmt(log.loss)} accuracy ${fmt(log.accuracy)}${val} (${log.imagesPerSecond.toFixed(1)} images/s, ${log.seconds.toFixed(1)}s)`;
}

/**
 * Renders training progress: a bar with images/s and ETA on a terminal, one line per epoch
 * otherwise, or JSON events on stdout with `--json` (and nothing else there).
 */
export function createTrainingReporter(
  mode: { json: boolean; tty: boolean },
  out: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } } = process,
) {
  let lastDraw = 0;
  return (event: ProgressEvent) => {
    if (mode.json) {
      const { log, ...rest } = event;
      out.stdout.write(`${JSON.stringify(event.type === 'epoch' ? { ...rest, log } : rest)}\n`);
      return;
    }
    if (event.type === 'epoch' && event.log) {
      if (mode.tty) out.stderr.write('\r\x1b[K');
      out.stderr.write(`${epochLine(event.log, event.epochs)}\n`);
      return;
    }
    if (!mode.tty) return;
    const now = Date.now();
    if (now - lastDraw < 100 && event.batch !== event.batches) return;
    lastDraw = now;
    const width = 24;
    const filled = Math.round((event.batch / event.batches) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${event.batch}/${event.batches}`;
    if (event.probe) {
      const p = event.probe;
      out.stderr.write(
        `\r${event.phase} solving the head ${bar} L2 ${formatStrength(p.l2)} ${p.fold >= 0 ? `fold ${p.fold + 1} held-out` : 'final fit'} acc ${fmt(p.accuracy, 3)} ETA ${duration(event.etaSeconds)}\x1b[K`,
      );
      return;
    }
    out.stderr.write(
      `\r${event.phase} ${event.epoch}/${event.epochs} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` +
        `${event.batch}/${event.batches} loss ${fmt(event.loss)} acc ${fmt(event.accuracy, 3)} ` +
        `${event.imagesPerSecond.toFixed(1)} img/s ETA ${duration(event.etaSeconds)}\x1b[K`,
    );
  };
}
