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
export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let lastDecile = -1;
  let lastDraw = 0;
  return {
    update(loaded: number, total?: number, rate?: number) {
      const now = Date.now();
      const frac = total ? Math.min(1, loaded / total) : 0;
      const rateText = rate ? ` ${formatBytes(rate)}/s` : '';
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
          `\r${label} ${bar} ${formatBytes(loaded)}${total ? `/${formatBytes(total)}` : ''}${rateText}${eta}\x1b[K`,
        );
      } else {
        const decile = Math.floor(frac * 10);
        if (decile === lastDecile) return;
        lastDecile = decile;
        stream.write(
          `${label} ${(frac * 100).toFixed(0)}% ${formatBytes(loaded)}${total ? `/${formatBytes(total)}` : ''}${rateText}\n`,
        );
      }
    },
    done() {
      if (tty && lastDraw > 0) stream.write('\n');
    },
  };
}
