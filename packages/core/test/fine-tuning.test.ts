import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../src/index.js';
import type { ActivationStoreFactory } from '../src/model/frozen-prefix.js';
import type { Replica, StepWorkers } from '../src/replica.js';
import { createReplica } from '../src/replica.js';
import { fromFloat16, toFloat16 } from '../src/util/float16.js';
import { colourImages, memoryIO, thinBackbone, weightValues } from './helpers.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

function changedLayers(before: Map<string, Float32Array>, after: Map<string, Float32Array>): Set<string> {
  const changed = new Set<string>();
  for (const [name, values] of after) {
    const old = before.get(name)!;
    if (values.some((v, i) => v !== old[i])) changed.add(name);
  }
  return changed;
}

describe('fine-tuning', () => {
  it('two-phase fineTune learns a colour task; frozen weights and all BN statistics stay bit-identical', async () => {
    const backbone = thinBackbone();
    const clf = createClassifier({ backbone, classes: ['red', 'green', 'blue'], seed: 1 });
    const test = colourImages(8, 2);
    const before = weightValues(backbone.model);
    const accuracyBefore = (await clf.evaluate(test)).accuracy;
    const history = await clf.fineTune(colourImages(10, 1), {
      freeze: 'conv4_block6_out',
      head: 'sgd',
      headEpochs: 3,
      epochs: 3,
      headLr: 0.01,
      lr: 1e-3,
      batchSize: 10,
      seed: 5,
    });
    expect(history.phases.map((p) => [p.phase, p.epochs.length])).toEqual([
      ['head', 3],
      ['fine-tune', 3],
    ]);
    const accuracyAfter = (await clf.evaluate(test)).accuracy;
    expect(accuracyAfter).toBeGreaterThanOrEqual(0.9);
    expect(accuracyAfter).toBeGreaterThan(accuracyBefore);

    const changed = changedLayers(before, weightValues(backbone.model));
    const firstUnfrozen = backbone.model.layers.findIndex((l) => l.name === 'conv4_block6_out') + 1;
    for (const [i, layer] of backbone.model.layers.entries()) {
      for (const w of layer.weights) {
        const moved = changed.has(w.originalName);
        if (i < firstUnfrozen || /moving_(mean|variance)/.test(w.originalName))
          expect(moved, w.originalName).toBe(false);
      }
    }
    expect(changed.has('conv5_block3_3_conv/kernel')).toBe(true);
    expect(changed.has('conv5_block1_1_bn/gamma')).toBe(true);
    expect(backbone.model.layers[firstUnfrozen - 1]!.trainable).toBe(false);
    expect(backbone.model.layers[firstUnfrozen]!.trainable).toBe(true);
    clf.dispose();
  });

  it('freeze: N has Keras meaning (layers[0..N-1] frozen) and trainBatchNorm moves only unfrozen BN statistics', async () => {
    const backbone = thinBackbone();
    const clf = createClassifier({ backbone, classes: ['red', 'green', 'blue'], seed: 1 });
    const before = weightValues(backbone.model);
    const freeze = 150;
    await clf.fit(colourImages(4, 1), {
      strategy: 'fine-tune',
      freeze,
      trainBatchNorm: true,
      epochs: 1,
      batchSize: 6,
      lr: 1e-3,
    });
    const changed = changedLayers(before, weightValues(backbone.model));
    for (const [i, layer] of backbone.model.layers.entries()) {
      expect(layer.trainable, layer.name).toBe(i >= freeze);
      for (const w of layer.weights)
        if (i < freeze) expect(changed.has(w.originalName), w.originalName).toBe(false);
    }
    const unfrozenBn = backbone.model.layers
      .slice(freeze)
      .find((l) => l.getClassName() === 'BatchNormalization')!;
    expect(changed.has(`${unfrozenBn.name}/moving_mean`)).toBe(true);
    expect(clf.manifest()).toMatchObject({ strategy: 'fine-tune', freeze });
    clf.dispose();
  });

  it('keeps tf.memory().numTensors flat across fineTune, predict and evaluate', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
    const data = colourImages(3, 4);
    await clf.fineTune(data, { headEpochs: 1, epochs: 1, batchSize: 9 });
    const start = tfc.memory().numTensors;
    await clf.fineTune(data, {
      headEpochs: 1,
      epochs: 2,
      batchSize: 5,
      lrMult: 10,
      validation: data,
      augment: true,
      earlyStopping: { patience: 1 },
    });
    await clf.predict(data.slice(0, 2));
    await clf.evaluate(data);
    expect(tfc.memory().numTensors).toBe(start);
    clf.dispose();
  });
});

describe('discriminative learning rates and optimizers', () => {
  async function changeOf(lrMult: number) {
    const backbone = thinBackbone();
    const clf = createClassifier({ backbone, classes: ['red', 'green', 'blue'], seed: 1 });
    const before = backbone.model.getLayer('conv4_block1_1_conv').getWeights()[0]!.dataSync().slice();
    const lastBefore = backbone.model.getLayer('conv5_block3_3_conv').getWeights()[0]!.dataSync().slice();
    // freeze up to conv3: the stages conv4 and conv5 train, conv4 first
    await clf.fit(colourImages(3, 1), {
      strategy: 'fine-tune',
      freeze: 'conv3_block4_out',
      lrMult,
      epochs: 1,
      batchSize: 9,
      lr: 1e-3,
      seed: 2,
    });
    const after = backbone.model.getLayer('conv4_block1_1_conv').getWeights()[0]!.dataSync();
    const lastAfter = backbone.model.getLayer('conv5_block3_3_conv').getWeights()[0]!.dataSync();
    const delta = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0);
    const result = {
      early: delta(before as Float32Array, after as Float32Array),
      late: delta(lastBefore as Float32Array, lastAfter as Float32Array),
    };
    clf.dispose();
    return result;
  }

  it('lrMult spreads rates geometrically from lr / lrMult (earliest stage) to lr (the head)', async () => {
    const even = await changeOf(1);
    const spread = await changeOf(100);
    // Adam's first steps move each weight by about lr: the ratio of the moves is the ratio of the rates
    expect(spread.early / even.early).toBeLessThan(0.02);
    expect(spread.early / even.early).toBeGreaterThan(0.005);
    // groups conv4, conv5, head: conv5 sits halfway, at lr / sqrt(100)
    expect(spread.late / even.late).toBeGreaterThan(0.05);
    expect(spread.late / even.late).toBeLessThan(0.2);
  });

  it('trains with SGD (momentum 0.9) as well as Adam', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
    await clf.fit(colourImages(12, 1), { optimizer: 'sgd', epochs: 30, batchSize: 12, lr: 0.05, seed: 3 });
    expect((await clf.evaluate(colourImages(8, 2))).accuracy).toBeGreaterThanOrEqual(0.95);
    clf.dispose();
  });
});

describe('the frozen-prefix activation cache', () => {
  it('gives the same training as running the frozen layers every step, for freeze at a block output, mid-block and with multi-layer pooling', async () => {
    for (const [freeze, multiScale] of [
      ['conv4_block6_out', false],
      [150, false],
      ['conv4_block6_out', true], // multi-layer pooling: conv3 and conv4 feed the head from the frozen part
    ] as const) {
      const run = async (cacheFrozenActivations: boolean) => {
        const clf = createClassifier({
          backbone: thinBackbone(32, multiScale),
          classes: ['red', 'green', 'blue'],
          seed: 1,
        });
        await clf.fit(colourImages(4, 1), {
          strategy: 'fine-tune',
          freeze,
          epochs: 2,
          batchSize: 6,
          lr: 1e-3,
          seed: 2,
          cacheFrozenActivations,
        });
        expect(clf.stats.frozenActivationBytes > 0).toBe(cacheFrozenActivations);
        const w = clf.model.weights.map((v) => v.read().dataSync().slice() as Float32Array);
        clf.dispose();
        return w;
      };
      const cached = await run(true);
      const plain = await run(false);
      let worst = 0;
      for (const [i, w] of cached.entries())
        for (const [j, v] of w.entries()) worst = Math.max(worst, Math.abs(v - plain[i]![j]!));
      expect(worst, String(freeze)).toBeLessThan(1e-4);
    }
  });

  it('keeps activations above the memory limit in activationStore (float16 here), or else runs the prefix each step', async () => {
    const written: number[] = [];
    let disposed = 0;
    // a store as the CLI's: float16 values, so training sees them rounded
    const float16Store: ActivationStoreFactory = async (rows, rowLength) => {
      const halves = new Uint16Array(rows * rowLength);
      return {
        async write(start, values) {
          written.push(values.length / rowLength);
          halves.set(toFloat16(values), start * rowLength);
        },
        async read(indices) {
          const out = new Float32Array(indices.length * rowLength);
          for (const [i, row] of indices.entries())
            out.set(fromFloat16(halves.subarray(row * rowLength, (row + 1) * rowLength)), i * rowLength);
          return out;
        },
        async dispose() {
          disposed++;
        },
      };
    };
    const run = async (store: ActivationStoreFactory | null, limit: number) => {
      const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
      clf.activationStore = store;
      clf.frozenActivationMemoryBytes = limit;
      const history = await clf.fit(colourImages(4, 1), {
        strategy: 'fine-tune',
        epochs: 2,
        batchSize: 6,
        seed: 2,
        validation: { split: 0.25 },
      });
      const stats = { ...clf.stats };
      clf.dispose();
      return { losses: history.phases[0]!.epochs.flatMap((e) => [e.loss, e.val_loss!]), stats };
    };
    const memory = await run(null, 1e9);
    expect(memory.stats.frozenActivationStore).toBe('memory');
    const stored = await run(float16Store, 0);
    expect(stored.stats.frozenActivationStore).toBe('store');
    expect(stored.stats.frozenActivationBytes).toBe(memory.stats.frozenActivationBytes);
    expect(written.reduce((a, b) => a + b, 0)).toBe(12); // 9 training and 3 validation examples, once
    expect(disposed).toBe(2);
    for (const [i, loss] of stored.losses.entries())
      expect(Math.abs(loss - memory.losses[i]!)).toBeLessThan(2e-2);
    const none = await run(null, 0);
    expect(none.stats.frozenActivationStore).toBe('none');
    expect(none.stats.frozenActivationBytes).toBe(0);
    for (const [i, loss] of none.losses.entries()) expect(loss).toBeCloseTo(memory.losses[i]!, 4);
  });
});

describe('micro-batches (gradient accumulation)', () => {
  it('a step split into micro-batches is the step on the whole batch', async () => {
    const losses: number[][] = [];
    const weights: Float32Array[] = [];
    for (const microBatch of [undefined, 2]) {
      const clf = createClassifier({
        backbone: thinBackbone(),
        classes: ['red', 'green', 'blue'],
        head: { dropout: 0 },
        seed: 1,
      });
      const history = await clf.fit(colourImages(3, 1), {
        strategy: 'fine-tune',
        freeze: 'conv4_block6_out',
        epochs: 2,
        batchSize: 6,
        lr: 1e-3,
        cacheFrozenActivations: false,
        ...(microBatch ? { microBatch } : {}),
        seed: 2,
      });
      expect(clf.stats.microBatch).toBe(microBatch ?? 6);
      losses.push(history.phases[0]!.epochs.map((e) => e.loss));
      weights.push(
        clf.backbone.getLayer('conv5_block3_3_conv').getWeights()[0]!.dataSync().slice() as Float32Array,
      );
      clf.dispose();
    }
    for (const [i, loss] of losses[1]!.entries()) expect(loss).toBeCloseTo(losses[0]![i]!, 5);
    for (const [i, w] of weights[1]!.entries()) expect(w).toBeCloseTo(weights[0]![i]!, 5);
  });

  it('keeps the frozen prefix for a backbone built for any input size (as the CLI loads it)', async () => {
    const { buildResNet50, getModel } = await import('@graft/zoo');
    const model = buildResNet50({ widthDivisor: 16 });
    const clf = createClassifier({
      backbone: { model, spec: { ...getModel('resnet50'), inputSize: [32, 32] } },
      classes: ['red', 'green', 'blue'],
      inputSize: [32, 32],
    });
    await clf.fit(colourImages(2, 1), { strategy: 'fine-tune', epochs: 1, batchSize: 6 });
    // conv4_block6_out at 32×32 is 2×2×64 floats per image
    expect(clf.stats.frozenActivationBytes).toBe(6 * 2 * 2 * 64 * 4);
    clf.dispose();
  });

  it('on wasm, picks micro-batches that fit a full-size ResNet50 step in the heap, for any-size models too', async () => {
    const { buildResNet50 } = await import('@graft/zoo');
    const { activationBytesPerExample, automaticMicroBatch, WASM_STEP_BUDGET_BYTES } = await import(
      '../src/train/micro-batch.js'
    );
    const model = buildResNet50(); // any input size, as the CLI loads it: the sizes come from inputSize
    const size: [number, number] = [224, 224];
    const perExample = activationBytesPerExample(model, 0, 'conv5_block3_out', size);
    expect(perExample / 2 ** 20).toBeGreaterThan(100); // every layer's output at 224×224, in MB
    const backend = tfc.getBackend();
    await import('@tensorflow/tfjs-backend-wasm');
    await tfc.setBackend('wasm');
    const all = automaticMicroBatch(model, 0, 'conv5_block3_out', size, 8);
    const conv5 = model.layers.findIndex((l) => l.name === 'conv4_block6_out') + 1;
    expect(all).toBeGreaterThanOrEqual(1);
    expect(all * perExample * 4).toBeLessThanOrEqual(WASM_STEP_BUDGET_BYTES);
    expect(automaticMicroBatch(model, conv5, 'conv5_block3_out', size, 8)).toBe(8); // conv5 alone fits whole
    await tfc.setBackend(backend);
    expect(automaticMicroBatch(model, 0, 'conv5_block3_out', size, 8)).toBe(8); // only wasm has the limit
    model.dispose();
  });
});

describe('step workers (parts of each step on replicas)', () => {
  /** StepWorkers whose replicas live in this thread: the protocol and the arithmetic, without threads. */
  function inThisThread(size: number) {
    let replicas: Replica[] = [];
    const calls = { steps: 0, weights: 0 };
    const workers: StepWorkers = {
      size,
      async start(setup) {
        replicas = await Promise.all(Array.from({ length: size }, () => createReplica(setup)));
      },
      async step(worker, part) {
        calls.steps++;
        return replicas[worker]!.step(part);
      },
      async setWeights(values) {
        calls.weights++;
        for (const r of replicas) r.setWeights(values);
      },
      async stop() {
        for (const r of replicas) r.dispose();
        replicas = [];
      },
    };
    return { workers, calls };
  }

  it('gives the same step, to the bit, as micro-batches of the same parts on one thread', async () => {
    const run = async (mode: 'workers' | 'micro-batches') => {
      const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green', 'blue'], seed: 1 });
      const remote = inThisThread(2);
      if (mode === 'workers') clf.stepWorkers = remote.workers;
      const before = tfc.memory().numTensors;
      await clf.fineTune(colourImages(3, 1), {
        headEpochs: 1,
        epochs: 2,
        batchSize: 9, // one batch of nine, in three parts of three: this thread and two replicas
        seed: 2,
        classWeights: 'auto',
        ...(mode === 'micro-batches' ? { microBatch: 3 } : {}),
      });
      const stats = { ...clf.stats };
      const weights = clf.model.weights.map((v) => v.read().dataSync().slice() as Float32Array);
      clf.dispose();
      return { weights, stats, calls: remote.calls, leaked: tfc.memory().numTensors - before };
    };
    const parallel = await run('workers');
    const sequential = await run('micro-batches');
    expect(parallel.stats.stepWorkers).toBe(2);
    expect(sequential.stats.stepWorkers).toBe(0);
    expect(parallel.calls.steps).toBeGreaterThan(0);
    // weights go to the replicas before every step but the first (they start with them)
    expect(parallel.calls.weights).toBe(parallel.calls.steps / 2 - 1);
    for (const [i, w] of parallel.weights.entries()) expect(w).toEqual(sequential.weights[i]);
    expect(parallel.leaked).toBeLessThanOrEqual(sequential.leaked);
  });

  it('refuses a replica that would split the backbone differently', async () => {
    const clf = createClassifier({ backbone: thinBackbone(), classes: ['red', 'green'], seed: 1 });
    const io = memoryIO();
    await clf.save(io.save);
    await expect(
      createReplica({ artifacts: io.artifacts!, freeze: 150, trainableLayers: ['not', 'these'] }),
    ).rejects.toThrow('the replica splits the backbone differently from the classifier it copies');
    clf.dispose();
  });
});
