// Helpers the packages' tests share (a package cannot import another package's tests).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's chromium, which CI installs (.ci/run); never a browser downloaded by Playwright. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether it is installed; on CI its absence is an error, elsewhere browser tests say they skip. */
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium`);

/** The launch flags DEVELOPERS.md gives: headless, as root, and no network of Chromium's own. */
export const CHROMIUM_FLAGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
]);

/** The largest difference relative to the largest magnitude of the reference. */
export function maxRelativeError(got, want) {
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

/** The repository's BENCHMARKS.md. */
export const BENCHMARKS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'BENCHMARKS.md');

/**
 * Prints `lines` between the `bench:<marker>` comments and puts them into BENCHMARKS.md in place
 * of the last run's (under `## heading`, at the end, the first time).
 */
export function writeBenchSection(marker, heading, lines) {
  const section = [`<!-- bench:${marker}:start -->`, ...lines, `<!-- bench:${marker}:end -->`].join('\n');
  console.log(section);
  const text = readFileSync(BENCHMARKS_FILE, 'utf8');
  const pattern = new RegExp(`<!-- bench:${marker}:start -->[\\s\\S]*?<!-- bench:${marker}:end -->`);
  writeFileSync(
    BENCHMARKS_FILE,
    pattern.test(text)
      ? text.replace(pattern, () => section)
      : `${text.trimEnd()}\n\n## ${heading}\n\n${section}\n`,
  );
}
