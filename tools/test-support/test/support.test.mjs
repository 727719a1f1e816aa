import { describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, maxRelativeError } from '../index.js';

describe('maxRelativeError', () => {
  it('is the largest difference over the largest magnitude of the reference', () => {
    expect(maxRelativeError([1, 2, 4.5], [1, 2, 4])).toBeCloseTo(0.5 / 4, 12);
    expect(maxRelativeError([-10, 0], [-8, 0])).toBeCloseTo(2 / 8, 12);
    expect(maxRelativeError([0, 0], [0, 0])).toBe(0);
  });
});

describe('CHROMIUM_FLAGS', () => {
  it('runs headless, as root, without Chromium’s own network traffic', () => {
    for (const flag of ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-quic'])
      expect(CHROMIUM_FLAGS).toContain(flag);
  });
});
