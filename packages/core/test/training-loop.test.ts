import { describe, expect, it } from 'vitest';
import { classCounts, resolveClassWeights, stratifiedSplit } from '../src/data/dataset.js';
import { classificationReport } from '../src/metrics.js';
import { runPhase } from '../src/train/loop.js';
import { learningRateAt } from '../src/train/schedules.js';
import { Random } from '../src/util/random.js';

function fakeRunner(losses: number[], extra: Partial<Parameters<typeof runPhase>[0]> = {}) {
  let epochSeen = 0;
  const snapshots: number[] = [];
  let current = 0;
  return {
    snapshots,
    get restoredTo() {
      return current;
    },
    runner: {
      phase: 'feature-extraction' as const,
      epochs: losses.length,
      batchSize: 2,
      examples: 4,
      lr: 0.1,
      schedule: 'constant' as const,
      rng: new Random(1),
      step: async (indices: number[], _lr: number, epoch: number) => {
        epochSeen = epoch;
        current = epoch;
        return { lossSum: losses[epoch - 1]! * indices.length, correct: indices.length / 2 };
      },
      snapshot: () => {
        const at = epochSeen;
        snapshots.push(at);
        return {
          restore: () => {
            current = at;
          },
          dispose: () => {},
        };
      },
      ...extra,
    },
  };
}

describe('runPhase', () => {
  it('stops early after `patience` epochs without improvement and restores the best epoch', async () => {
    const f = fakeRunner([1, 0.5, 0.6, 0.7, 0.4, 0.3]);
    const h = await runPhase({ ...f.runner, earlyStopping: { patience: 2, monitor: 'loss' } });
    expect(h.stopReason).toBe('early-stopping');
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(h.bestEpoch).toBe(2);
    expect(f.restoredTo).toBe(2);
  });

  it('stops on an AbortSignal between batches', async () => {
    const controller = new AbortController();
    const f = fakeRunner([1, 1, 1]);
    let batches = 0;
    const h = await runPhase({
      ...f.runner,
      signal: controller.signal,
      callbacks: [{ onBatchEnd: () => void (++batches === 3 && controller.abort()) }],
    });
    expect(h.stopReason).toBe('aborted');
    expect(batches).toBe(3);
    expect(h.epochs).toHaveLength(1);
  });

  it('lets an abort from a timer or signal handler in between steps that never leave the microtask queue', async () => {
    // a synchronous backend's step: its awaits resolve at once, so a SIGINT handler or a timer
    // would otherwise run only when the whole phase is over
    const controller = new AbortController();
    const f = fakeRunner(new Array(50).fill(1));
    setTimeout(() => controller.abort(), 0);
    const h = await runPhase({ ...f.runner, signal: controller.signal });
    expect(h.stopReason).toBe('aborted');
    expect(h.epochs.length).toBeLessThan(2);
  });

  it('estimates what is left from whole epochs (checkpoints included) once one is done, so a slow first epoch fades', async () => {
    // 0.1 s epochs whose steps take almost nothing and whose checkpoint takes the rest, after a
    // first epoch slowed by warm-up: the old per-step average kept overestimating
    const f = fakeRunner(new Array(10).fill(1));
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const etas: { epoch: number; eta: number; at: number }[] = [];
    const started = Date.now();
    await runPhase({
      ...f.runner,
      epochs: 10,
      step: async (indices, lr, epoch) => {
        if (epoch === 1) await sleep(150);
        return f.runner.step(indices, lr, epoch);
      },
      callbacks: [
        {
          onBatchEnd: (e) =>
            void (e.batch === 1 && etas.push({ epoch: e.epoch, eta: e.etaSeconds, at: Date.now() })),
          onEpochEnd: () => sleep(80),
        },
      ],
    });
    const end = Date.now();
    for (const { epoch, eta, at } of etas.filter((e) => e.epoch >= 4)) {
      const actual = (end - at) / 1000;
      expect(
        Math.abs(eta - actual),
        `epoch ${epoch}: ETA ${eta.toFixed(2)} s, took ${actual.toFixed(2)} s`,
      ).toBeLessThan(0.35 * actual + 0.1);
    }
    expect(end - started).toBeGreaterThan(800);
  });

  it('reports batch and epoch progress with rates and ETA, and lets a callback stop', async () => {
    const events: string[] = [];
    const f = fakeRunner([1, 0.9, 0.8]);
    const h = await runPhase({
      ...f.runner,
      callbacks: [
        {
          onBatchEnd: (e) => void events.push(`b${e.epoch}.${e.batch}/${e.batches}`),
          onEpochEnd: (log, e) => {
            events.push(`e${log.epoch} eta=${e.etaSeconds >= 0}`);
            return log.epoch === 2 ? 'stop' : undefined;
          },
        },
      ],
    });
    expect(events).toEqual(['b1.1/2', 'b1.2/2', 'e1 eta=true', 'b2.1/2', 'b2.2/2', 'e2 eta=true']);
    expect(h.stopReason).toBe('callback');
    expect(h.epochs[1]).toMatchObject({ loss: 0.9, accuracy: 0.5 });
  });
});

describe('schedules', () => {
  it('constant, cosine and one-cycle have the documented shapes', () => {
    expect(learningRateAt('constant', 0.1, 50, 100)).toBe(0.1);
    expect(learningRateAt('cosine', 0.1, 0, 101)).toBeCloseTo(0.1);
    expect(learningRateAt('cosine', 0.1, 50, 101)).toBeCloseTo(0.05);
    expect(learningRateAt('cosine', 0.1, 100, 101)).toBeCloseTo(0);
    expect(learningRateAt('one-cycle', 0.1, 0, 101)).toBeCloseTo(0.004);
    expect(learningRateAt('one-cycle', 0.1, 25, 101)).toBeCloseTo(0.1);
    expect(learningRateAt('one-cycle', 0.1, 100, 101)).toBeCloseTo(0.1 / 25e4, 8);
    expect(() => learningRateAt('linear' as never, 0.1, 0, 10)).toThrow("unknown schedule 'linear'");
  });
});

describe('data helpers', () => {
  const examples = [...Array(10)]
    .map((_, i) => ({ classIndex: 0, i }))
    .concat([...Array(4)].map((_, i) => ({ classIndex: 1, i })));

  it('splits each class in proportion, reproducibly from the seed', () => {
    const a = stratifiedSplit(examples, 0.25, 7);
    expect(classCounts(a.validation, 2)).toEqual([3, 1]);
    expect(a.train.length + a.validation.length).toBe(14);
    expect(stratifiedSplit(examples, 0.25, 7)).toEqual(a);
    expect(stratifiedSplit(examples, 0.25, 8)).not.toEqual(a);
    expect(() => stratifiedSplit(examples, 1.5, 1)).toThrow(
      'validation split must be between 0 and 1, got 1.5',
    );
  });

  it("computes 'auto' class weights as n / (k · count)", () => {
    expect(resolveClassWeights('auto', examples, ['a', 'b'])).toEqual([14 / 20, 14 / 8]);
    expect(resolveClassWeights({ b: 3 }, examples, ['a', 'b'])).toEqual([1, 3]);
    expect(() => resolveClassWeights({ c: 3 }, examples, ['a', 'b'])).toThrow("class weight given for 'c'");
  });
});

describe('classificationReport', () => {
  it('matches hand-computed accuracy, top-k, confusion and per-class precision/recall/F1', () => {
    const probs = [
      [0.7, 0.2, 0.1], // true 0, predicted 0
      [0.5, 0.4, 0.1], // true 1, predicted 0 (second)
      [0.1, 0.8, 0.1], // true 1, predicted 1
      [0.3, 0.3, 0.4], // true 0, predicted 2 (0 ties with 1 at rank 2)
    ];
    const r = classificationReport(probs, [0, 1, 1, 0], ['a', 'b', 'c']);
    expect(r.accuracy).toBe(0.5);
    expect(r.topK[2]).toBe(1);
    expect(r.confusion).toEqual([
      [1, 0, 1],
      [1, 1, 0],
      [0, 0, 0],
    ]);
    expect(r.perClass[0]).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r.perClass[2]).toMatchObject({ precision: 0, recall: 0, support: 0 });
    expect(r.loss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.4) + Math.log(0.8) + Math.log(0.3)) / 4, 6);
  });
});

describe('checkpoint', () => {
  it('saves every epoch, or only when the monitored metric improves', async () => {
    const { checkpoint } = await import('../src/train/checkpoint.js');
    const every: number[] = [];
    const best: number[] = [];
    await runPhase({
      ...fakeRunner([1, 0.5, 0.7, 0.4]).runner,
      callbacks: [
        checkpoint({ save: (log) => void every.push(log.epoch) }),
        checkpoint({ save: (log) => void best.push(log.epoch), monitor: 'loss' }),
      ],
    });
    expect(every).toEqual([1, 2, 3, 4]);
    expect(best).toEqual([1, 2, 4]);
  });
});
