// Helpers the packages' tests share (a package cannot import another package's tests).
import { existsSync } from 'node:fs';

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
