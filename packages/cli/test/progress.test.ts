import type { ProgressEvent } from '@graft/core';
import { describe, expect, it } from 'vitest';
import { createTrainingReporter } from '../src/ui/training-progress.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    streams: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s) },
    },
  };
}

const batch = (b: number): ProgressEvent => ({
  type: 'batch',
  phase: 'fine-tune',
  epoch: 2,
  epochs: 5,
  batch: b,
  batches: 4,
  loss: 0.5,
  accuracy: 0.75,
  imagesPerSecond: 12.5,
  etaSeconds: 75,
});
const epoch: ProgressEvent = {
  ...batch(4),
  type: 'epoch',
  log: {
    phase: 'fine-tune',
    epoch: 2,
    loss: 0.5,
    accuracy: 0.75,
    val_loss: 0.6,
    val_accuracy: 0.7,
    lr: 1e-4,
    seconds: 3.2,
    imagesPerSecond: 12.5,
  },
};

describe('training progress on the terminal', () => {
  it('draws a bar with images/s and ETA on a TTY, then the epoch line', () => {
    const { out, streams } = capture();
    const report = createTrainingReporter({ json: false, tty: true }, streams);
    report(batch(4));
    report(epoch);
    expect(out.stderr).toContain(
      '\rfine-tune 2/5 [########################] 4/4 loss 0.5000 acc 0.750 12.5 img/s ETA 1m15s',
    );
    expect(out.stderr).toContain(
      'fine-tune epoch 2/5: loss 0.5000 accuracy 0.7500 val_loss 0.6000 val_accuracy 0.7000 (12.5 images/s, 3.2s)\n',
    );
    expect(out.stdout).toBe('');
  });

  it('prints only epoch lines when not a TTY, and only JSON on stdout with --json', () => {
    const plain = capture();
    const report = createTrainingReporter({ json: false, tty: false }, plain.streams);
    report(batch(1));
    report(epoch);
    expect(plain.out.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    const json = capture();
    const jsonReport = createTrainingReporter({ json: true, tty: true }, json.streams);
    jsonReport(batch(1));
    jsonReport(epoch);
    expect(json.out.stderr).toBe('');
    const lines = json.out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['batch', 'epoch']);
    expect(lines[1].log.val_accuracy).toBe(0.7);
  });
});
