/** Human-readable bytes: 94.8 MB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/**
 * A one-line progress bar on stderr when it is a terminal; otherwise a line every 10% so logs
 * stay readable. Nothing on stdout, which belongs to results (`--json`).
 */
export function createProgressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  /** `images` counts things (rate and ETA measured from the first update); `bytes` shows sizes. */
  unit: 'bytes' | 'images' = 'bytes',
) {
  const tty = stream.isTTY === true;
  const format = unit === 'bytes' ? formatBytes : (n: number) => String(n);
  let lastDecile = -1;
  let lastDraw = 0;
  let started = 0;
  let firstLoaded = 0;
  return {
    update(loaded: number, total?: number, givenRate?: number) {
      // in a log, a count bar is worth lines only for long work
      if (!tty && unit === 'images' && (total ?? 0) < 1000) return;
      const now = Date.now();
      if (!started) {
        started = now;
        firstLoaded = loaded;
      }
      const rate =
        givenRate ??
        (unit === 'images' && now > started ? ((loaded - firstLoaded) / (now - started)) * 1000 : undefined);
      const frac = total ? Math.min(1, loaded / total) : 0;
      const rateText = rate
        ? unit === 'bytes'
          ? ` ${formatBytes(rate)}/s`
          : ` ${rate.toFixed(1)} images/s`
        : '';
      const eta = total && rate ? ` ETA ${Math.max(0, Math.round((total - loaded) / rate))}s` : '';
      if (tty) {
        if (now - lastDraw < 100 && loaded !== total) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round(frac * width);
        const bar = total
          ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%`
          : '';
        stream.write(
          `\r${label} ${bar} ${format(loaded)}${total ? `/${format(total)}` : ''}${rateText}${eta}\x1b[K`,
        );
      } else {
        const decile = Math.floor(frac * 10);
        if (decile === lastDecile) return;
        lastDecile = decile;
        stream.write(
          `${label} ${(frac * 100).toFixed(0)}% ${format(loaded)}${total ? `/${format(total)}` : ''}${rateText}\n`,
        );
      }
    },
    done() {
      if (tty && lastDraw > 0) stream.write('\n');
    },
  };
}
