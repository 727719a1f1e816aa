import { describe, expect, it, vi } from 'vitest';
import { createProgressBar } from '../src/ui/progress.js';

function stream(isTTY: boolean) {
  let text = '';
  const write = (t: string) => {
    text += t;
    return true;
  };
  return { s: { isTTY, write } as unknown as NodeJS.WriteStream, text: () => text };
}

describe('count progress bars (decoding, backbone features)', () => {
  it('shows count, images/s and ETA on a terminal, measured from the first update', () => {
    vi.useFakeTimers();
    try {
      const out = stream(true);
      const bar = createProgressBar('decoding photos', out.s, 'images');
      bar.update(1, 300);
      vi.advanceTimersByTime(2000);
      bar.update(101, 300); // 100 images in 2 s
      bar.done();
      expect(out.text()).toContain(
        'decoding photos [##########--------------------]  34% 101/300 50.0 images/s ETA 4s',
      );
      expect(out.text().endsWith('\n')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes a line per 10% in a log only for long work (1,000 images or more)', () => {
    const short = stream(false);
    const bar = createProgressBar('decoding', short.s, 'images');
    for (let i = 1; i <= 300; i++) bar.update(i, 300);
    expect(short.text()).toBe('');
    const long = stream(false);
    const longBar = createProgressBar('decoding', long.s, 'images');
    for (let i = 1; i <= 2000; i++) longBar.update(i, 2000);
    expect(long.text().split('\n').filter(Boolean)).toHaveLength(11); // 0%, 10%, … 100%
  });
});
