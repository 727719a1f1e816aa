import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type Classifier,
  checkpoint,
  createClassifier,
  decodeTrainingState,
  type EpochLog,
  encodeTrainingState,
  loadClassifier,
  type ProbeSummary,
  type TrainingHistory,
  type TrainingState,
} from '@graft/core';
import { getModel, graftHome, loadBackbone, ZOO_VERSION } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { type DataRecord, loadDataset } from '../data/load-dataset.js';
import { DatasetError, scanDataset } from '../data/scan.js';
import { imageSize, positiveInt, UsageError } from '../errors.js';
import { DEFAULT_PIXEL_LIMIT } from '../images/decode.js';
import { writeReport } from '../report/write-report.js';
import { fileActivationStore } from '../runs/activation-file.js';
import { writeFileAtomic } from '../runs/atomic.js';
import { DiskFeatureCache } from '../runs/disk-feature-cache.js';
import { type BackboneFileReuse, folderLoadHandler, folderSaveHandler } from '../runs/model-files.js';
import { defaultRunDir, RUN_FILES, RunFolder } from '../runs/run-folder.js';
import { ENGINE_OPTION, startEngine, startRuntime } from '../runtime/context.js';
import { createStepWorkers } from '../runtime/step-workers.js';
import { createProgressBar } from '../ui/progress.js';
import { createTrainingReporter, formatStrength } from '../ui/training-progress.js';
import { CLI_VERSION } from '../version.js';

interface TrainFlags {
  strategy: 'feature-extraction' | 'fine-tune';
  model: string;
  weights?: string;
  freeze?: string;
  head: 'auto' | 'probe' | 'sgd';
  l2?: number;
  epochs?: number;
  headEpochs?: number;
  batchSize?: number;
  lr?: number;
  lrMult?: number;
  schedule: 'constant' | 'cosine' | 'one-cycle';
  optimizer: 'adam' | 'sgd';
  valSplit?: number;
  val?: string;
  imageSize?: [number, number];
  augment?: boolean;
  classWeights?: string;
  earlyStop?: number;
  dropout: number;
  seed: number;
  out?: string;
  backend: string;
  engine: string;
  json?: boolean;
  strict?: boolean;
  maxPixels: number;
  resume?: boolean;
  overwrite?: boolean;
  workers: string;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1))
    throw new UsageError(`--val-split must be a fraction between 0 and 1, got '${value}'`);
  return n;
}

function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number > 0, got '${value}'`);
    return n;
  };
}

function oneOf<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!choices.includes(value as T))
      throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}

function parseFreeze(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** `--workers`: a count, or auto (one per core beyond the main thread's). */
function stepWorkerCount(value: string): number {
  if (value === 'auto') return Math.max(0, availableParallelism() - 1);
  if (!/^\d+$/.test(value)) throw new UsageError(`--workers must be auto or a whole number, got '${value}'`);
  return Number(value);
}

/** `graft train`: a run folder with a trained model, metrics, checkpoints and a report. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train <data>')
    .description(
      'train a classifier on a folder with one sub-folder per class (or a CSV/JSONL of path,label)',
    )
    .option(
      '--strategy <name>',
      'feature-extraction or fine-tune',
      oneOf('--strategy', ['feature-extraction', 'fine-tune'] as const),
      'feature-extraction',
    )
    .option('--model <id>', 'zoo backbone', 'resnet50')
    .option(
      '--weights <weights>',
      "a pretrained variant (default the model's own, e.g. imagenet) or a Keras .h5 file",
    )
    .option(
      '--freeze <N|LAYER>',
      "fine-tune: freeze layers[0..N-1] (Keras index) or up to a layer (default the model's, e.g. conv4_block6_out)",
    )
    .option(
      '--head <solver>',
      'the new head (fine-tune: its first phase): probe (solved to optimum by L-BFGS, L2 chosen by cross-validation or on --val), sgd (epochs of mini-batches) or auto (probe unless --augment)',
      oneOf('--head', ['auto', 'probe', 'sgd'] as const),
      'auto',
    )
    .option('--l2 <strength>', 'probe: this L2 strength instead of choosing one', (v) => {
      const n = Number(v);
      if (!(n >= 0) || !Number.isFinite(n)) throw new UsageError(`--l2 must be a number ≥ 0, got '${v}'`);
      return n;
    })
    .option(
      '--epochs <n>',
      'epochs (feature extraction with --head sgd default 20; fine-tune phase two default 5)',
      positiveInt('--epochs'),
    )
    .option(
      '--head-epochs <n>',
      'fine-tune with --head sgd: epochs training the head first (default 2; 0 skips it)',
      (v) => (v === '0' ? 0 : positiveInt('--head-epochs')(v)),
    )
    .option('--batch-size <n>', 'examples per step (default 32; fine-tune 16)', positiveInt('--batch-size'))
    .option('--lr <rate>', 'learning rate (default 1e-3; fine-tune phase two 1e-4)', positiveNumber('--lr'))
    .option(
      '--lr-mult <x>',
      'fine-tune: rates spread from lr/x (earliest unfrozen stage) to lr (the head)',
      positiveNumber('--lr-mult'),
    )
    .option(
      '--schedule <name>',
      'constant, cosine or one-cycle',
      oneOf('--schedule', ['constant', 'cosine', 'one-cycle'] as const),
      'constant',
    )
    .option('--optimizer <name>', 'adam or sgd', oneOf('--optimizer', ['adam', 'sgd'] as const), 'adam')
    .option(
      '--val-split <fraction>',
      'hold out this fraction of each class for validation (default 0.2)',
      fraction,
    )
    .option('--val <data>', 'a separate validation data set (folder or CSV/JSONL)')
    .option('--image-size <size>', 'resize images to N or HxW (default: the model’s input size)', imageSize)
    .option('--augment', 'random crops, flips, brightness and contrast')
    .option(
      '--class-weights <auto>',
      "'auto' to balance imbalanced classes",
      oneOf('--class-weights', ['auto'] as const),
    )
    .option(
      '--early-stop <patience>',
      'stop after this many epochs without val_loss improving',
      positiveInt('--early-stop'),
    )
    .option(
      '--dropout <rate>',
      'dropout before the new classifier',
      (v) => {
        const n = Number(v);
        if (!(n >= 0 && n < 1)) throw new UsageError(`--dropout must be in [0, 1), got '${v}'`);
        return n;
      },
      0.2,
    )
    .option(
      '--seed <n>',
      'seed for splits, shuffling, augmentation and dropout',
      (v) => {
        if (!/^\d+$/.test(v)) throw new UsageError(`--seed must be a whole number, got '${v}'`);
        return Number(v);
      },
      0,
    )
    .option('--out <dir>', 'run folder (default runs/<timestamp>)')
    .option('--backend <name>', 'auto, tensorflow-gpu, tensorflow, wasm or cpu', 'auto')
    .option(...ENGINE_OPTION)
    .option('--json', 'machine-readable progress events on stdout, nothing else')
    .option('--strict', 'fail on the first bad image instead of skipping it')
    .option(
      '--max-pixels <n>',
      'skip images with more pixels than this (a decompression-bomb guard)',
      positiveInt('--max-pixels'),
      DEFAULT_PIXEL_LIMIT,
    )
    .option(
      '--workers <n>',
      'worker threads that fine-tune alongside the main one on wasm (auto: one per extra core; 0: none)',
      'auto',
    )
    .option('--resume', 'continue the interrupted run in --out from its latest checkpoint, with its options')
    .option('--overwrite', 'replace the run already in --out (without it, a used --out is refused)')
    .action(async (data: string, flags: TrainFlags) => {
      if (flags.resume && flags.overwrite)
        throw new UsageError('give either --resume or --overwrite, not both');
      await train(data, flags.resume ? await resumedFlags(data, flags) : flags);
    });
}

/** One line on how the solved head chose its L2 strength. */
export function describeProbe(probe: ProbeSummary): string {
  const how =
    probe.selection === 'cross-validation'
      ? `chosen by ${probe.heldOutFolds < probe.folds ? `a stratified 1/${probe.folds} hold-out of` : `${probe.folds}-fold cross-validation on`} the training images (accuracy ${((probe.score ?? 0) * 100).toFixed(1)}%)`
      : probe.selection === 'validation'
        ? `chosen on the validation set (accuracy ${((probe.score ?? 0) * 100).toFixed(1)}%)`
        : probe.selection === 'strongest'
          ? 'the strongest of the grid (one image of some class: nothing to hold out for choosing)'
          : 'as given';
  return `head solved to optimum (L-BFGS, ${probe.iterations} iterations${probe.converged ? '' : ', not converged'}): L2 strength ${formatStrength(probe.l2)} ${how}`;
}

/** The training-state files kept with each `latest` checkpoint. */
const STATE_FILES = { json: 'training-state.json', data: 'training-state.bin' } as const;

/** With --resume: the interrupted run's own options (its config.json), checked against the call. */
async function resumedFlags(dataPath: string, flags: TrainFlags): Promise<TrainFlags> {
  if (!flags.out) throw new UsageError('--resume needs --out <run folder> of the run to continue');
  const run = new RunFolder(flags.out);
  let saved: Record<string, unknown>;
  try {
    saved = await run.readJson(RUN_FILES.config);
  } catch {
    throw new UsageError(
      `${flags.out} has no readable ${RUN_FILES.config}: it is not a run folder to resume`,
    );
  }
  if (resolve(String(saved.data)) !== resolve(dataPath)) {
    throw new UsageError(
      `${flags.out} was trained on ${String(saved.data)}, not ${dataPath}: resume with the same data`,
    );
  }
  if (saved.finishedAt)
    throw new UsageError(`${flags.out} finished at ${String(saved.finishedAt)}: there is nothing to resume`);
  const validation = saved.validation as { data?: string; split?: number };
  return {
    ...flags,
    strategy: saved.strategy as TrainFlags['strategy'],
    model: String(saved.model),
    weights: (saved.weights as string | undefined) ?? undefined,
    freeze: saved.freeze === undefined ? undefined : String(saved.freeze),
    head: (saved.head as TrainFlags['head'] | undefined) ?? 'auto',
    l2: saved.l2 as number | undefined,
    epochs: saved.epochs as number,
    headEpochs: saved.headEpochs as number | undefined,
    batchSize: saved.batchSize as number,
    lr: saved.lr as number,
    lrMult: saved.lrMult as number | undefined,
    schedule: saved.schedule as TrainFlags['schedule'],
    optimizer: saved.optimizer as TrainFlags['optimizer'],
    val: validation.data,
    valSplit: validation.split,
    imageSize: saved.imageSize as [number, number],
    augment: saved.augment as boolean,
    classWeights: saved.classWeights as string | undefined,
    earlyStop: saved.earlyStop as number | undefined,
    dropout: saved.dropout as number,
    seed: saved.seed as number,
    resume: true,
  };
}

async function train(dataPath: string, flags: TrainFlags): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (flags.val && flags.valSplit) throw new UsageError('give either --val or --val-split, not both');
  if (
    flags.strategy === 'feature-extraction' &&
    (flags.freeze || flags.headEpochs !== undefined || flags.lrMult)
  ) {
    throw new UsageError('--freeze, --head-epochs and --lr-mult are for --strategy fine-tune');
  }
  if (flags.head === 'probe' && flags.augment) {
    throw new UsageError('--head probe solves a head on fixed features: with --augment use --head sgd');
  }
  if (flags.l2 !== undefined && (flags.head === 'sgd' || (flags.head === 'auto' && flags.augment))) {
    throw new UsageError('--l2 is for the probe head (--head probe, or auto without --augment)');
  }
  const requestedWorkers = stepWorkerCount(flags.workers ?? 'auto');
  const spec = getModel(flags.model);
  const inputSize = flags.imageSize ?? ([spec.inputSize[0], spec.inputSize[1]] as [number, number]);

  // Everything that can be wrong with the data is found before any compute.
  const scanned = await scanDataset(dataPath);
  if (scanned.classes.length < 2) {
    throw new DatasetError(
      `${dataPath} has only one class (${scanned.classes.join(', ')}): a classifier needs at least two`,
    );
  }
  const scannedVal = flags.val ? await scanDataset(flags.val) : null;
  if (scannedVal) {
    const unknown = scannedVal.classes.filter((c) => !scanned.classes.includes(c));
    if (unknown.length > 0)
      throw new DatasetError(`${flags.val} has classes the training data lacks: ${unknown.join(', ')}`);
  }
  const active = await startRuntime(flags.backend, true); // the summary below names the backend
  const engine = await startEngine(flags.engine, active, true);
  const warn = (m: string) => say(`graft: warning: ${m}`);
  const trainSet = await loadDataset(scanned, { strict: flags.strict, warn, pixelLimit: flags.maxPixels });
  const valSet = scannedVal
    ? await loadDataset(scannedVal, { strict: flags.strict, warn, pixelLimit: flags.maxPixels })
    : null;

  // a class needs two images for the split to hold one out: with one each there is no validation
  const perClass = scanned.classes.map((c) => trainSet.images.filter((i) => i.label === c).length);
  const validates = valSet ? valSet.images.length > 0 : perClass.some((n) => n >= 2);
  if (!validates && flags.earlyStop) {
    throw new UsageError(
      '--early-stop watches val_loss, but there are no validation images (one image per class): add images or pass --val <data>',
    );
  }
  const run = await RunFolder.create(flags.out ?? defaultRunDir(), {
    resume: flags.resume,
    overwrite: flags.overwrite,
  });
  try {
    await trainInto(run, dataPath, flags, {
      spec,
      inputSize,
      scanned,
      active,
      engine,
      trainSet,
      valSet,
      requestedWorkers,
      perClass,
      validates,
      say,
    });
  } finally {
    await run.release();
  }
}

async function trainInto(
  run: RunFolder,
  dataPath: string,
  flags: TrainFlags,
  ctx: {
    spec: ReturnType<typeof getModel>;
    inputSize: [number, number];
    scanned: Awaited<ReturnType<typeof scanDataset>>;
    active: Awaited<ReturnType<typeof startRuntime>>;
    engine: Awaited<ReturnType<typeof startEngine>>;
    trainSet: Awaited<ReturnType<typeof loadDataset>>;
    valSet: Awaited<ReturnType<typeof loadDataset>> | null;
    requestedWorkers: number;
    /** Training images per class, in `scanned.classes` order. */
    perClass: number[];
    validates: boolean;
    say: (line: string) => void;
  },
): Promise<void> {
  const {
    spec,
    inputSize,
    scanned,
    active,
    engine,
    trainSet,
    valSet,
    requestedWorkers,
    perClass,
    validates,
    say,
  } = ctx;
  if (!validates) {
    say(
      'graft: note: one image per class leaves none for validation: the best checkpoint follows the training loss',
    );
  }
  let clf: Classifier;
  let resume: TrainingState | undefined;
  let weightsInfo: { source: string; id: string };
  if (flags.resume) {
    const latest = run.path(`${RUN_FILES.checkpoints}/latest`);
    try {
      resume = decodeTrainingState(
        await readFile(join(latest, STATE_FILES.json), 'utf8'),
        new Uint8Array(await readFile(join(latest, STATE_FILES.data))),
        join(latest, STATE_FILES.json),
      );
    } catch (err) {
      throw new Error(
        `cannot resume ${run.dir}: no usable checkpoint in ${latest} (${(err as Error).message})`,
      );
    }
    clf = await loadClassifier(folderLoadHandler(latest));
    weightsInfo = clf.info.weights;
    say(`graft: resuming ${run.dir} from ${resume.phase} epoch ${resume.epoch}`);
  } else {
    const bar = createProgressBar(`downloading ${spec.id} weights`);
    const backbone = await loadBackbone(spec.id, {
      weights: flags.weights,
      onProgress: (p) => p.phase === 'download' && bar.update(p.loaded, p.total, p.rate),
    });
    bar.done();
    weightsInfo = backbone.weights;
    clf = createClassifier({
      backbone,
      classes: scanned.classes,
      inputSize,
      head: { dropout: flags.dropout },
      seed: flags.seed,
    });
  }
  clf.featureCache = new DiskFeatureCache(join(graftHome(), 'features'));
  clf.accelerator = engine.accelerator;
  clf.activationStore = fileActivationStore(); // fine-tuning sets whose frozen activations exceed 1 GB

  const counts = scanned.classes.map((c, i) => `${c} ${perClass[i]}`).join(', ');
  say(
    `graft: backend ${active.choice}; frozen backbone on ${engine.description}; model ${spec.id} (${spec.title}); weights ${weightsInfo.source}`,
  );
  say(
    `graft: ${trainSet.images.length} images in ${scanned.classes.length} classes (${counts})${valSet ? `; validation ${valSet.images.length} images from ${flags.val}` : ''}; ${trainSet.skipped.length} skipped`,
  );
  say(`graft: run folder ${run.dir}`);

  const fineTune = flags.strategy === 'fine-tune';
  const config = {
    command: 'train',
    data: dataPath,
    strategy: flags.strategy,
    model: spec.id,
    weights: flags.weights,
    weightsSource: weightsInfo.source,
    weightsId: weightsInfo.id,
    classes: scanned.classes,
    freeze: fineTune
      ? (parseFreeze(flags.freeze) ?? spec.fineTune?.defaultFreeze ?? 'conv4_block6_out')
      : undefined,
    head: flags.head,
    l2: flags.l2,
    epochs: flags.epochs ?? (fineTune ? 5 : 20),
    headEpochs: fineTune ? (flags.headEpochs ?? 2) : undefined,
    batchSize: flags.batchSize ?? (fineTune ? 16 : 32),
    lr: flags.lr ?? (fineTune ? 1e-4 : 1e-3),
    lrMult: fineTune ? (flags.lrMult ?? 1) : undefined,
    schedule: flags.schedule,
    optimizer: flags.optimizer,
    validation: flags.val ? { data: flags.val } : { split: flags.valSplit ?? 0.2 },
    imageSize: inputSize,
    augment: flags.augment ?? false,
    classWeights: flags.classWeights,
    earlyStop: flags.earlyStop,
    dropout: flags.dropout,
    seed: flags.seed,
    backend: active.choice,
    engine: engine.engine,
    versions: { cli: CLI_VERSION, zoo: ZOO_VERSION, tfjs: tfc.version_core, node: process.version },
    startedAt: new Date().toISOString(),
  };
  if (resume) {
    const saved = await run.readJson<{ startedAt?: string }>(RUN_FILES.config);
    Object.assign(config, { startedAt: saved.startedAt, resumedAt: new Date().toISOString() });
    // epochs logged after the checkpoint was written are done again: drop their lines
    const kept = (await run.readMetrics<{ phase: string; epoch: number }>()).filter((m) => {
      const phaseIndex =
        resume.phase === 'fine-tune' && m.phase === 'head'
          ? 0
          : m.phase === resume.phase
            ? resume.phaseIndex
            : -1;
      return phaseIndex < resume.phaseIndex || (phaseIndex === resume.phaseIndex && m.epoch <= resume.epoch);
    });
    await writeFileAtomic(run.path(RUN_FILES.metrics), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
  }
  await run.writeJson(RUN_FILES.config, config);

  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('\ngraft: interrupted — finishing the current batch (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  const reporter = createTrainingReporter({ json: flags.json ?? false, tty: process.stderr.isTTY === true });
  const epochs: EpochLog[] = [];
  // checkpoints share one backbone.bin while the backbone does not train (feature extraction)
  const backboneFiles: BackboneFileReuse = {};
  const callbacks = [
    {
      onEpochEnd: async (log: EpochLog) => {
        epochs.push(log);
        await run.appendMetrics(log);
      },
    },
    checkpoint({
      // the model and the training state in one atomic folder: --resume continues from here
      save: async () => {
        const state = encodeTrainingState(await clf.trainingState());
        await clf.save(
          folderSaveHandler(
            run.path(`${RUN_FILES.checkpoints}/latest`),
            clf.manifest(),
            { [STATE_FILES.json]: state.json, [STATE_FILES.data]: state.data },
            backboneFiles,
          ),
        );
      },
    }),
    checkpoint({
      save: () =>
        clf.save(
          folderSaveHandler(run.path(`${RUN_FILES.checkpoints}/best`), clf.manifest(), {}, backboneFiles),
        ),
      monitor: validates ? 'val_loss' : 'loss',
    }),
  ];
  const common = {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    schedule: config.schedule,
    validation: valSet ? valSet.images : { split: config.validation.split ?? 0.2 },
    seed: config.seed,
    augment: config.augment,
    classWeights: config.classWeights as 'auto' | undefined,
    earlyStopping: config.earlyStop
      ? { patience: config.earlyStop, monitor: 'val_loss' as const }
      : undefined,
    callbacks,
    onProgress: reporter,
    signal: controller.signal,
    resume,
  };
  const started = Date.now();
  let history: TrainingHistory;
  // tfjs runs one thread on wasm in Node: the other cores fine-tune in worker threads
  const workerCount = fineTune && active.choice === 'wasm' && !config.augment ? requestedWorkers : 0;
  const stepWorkers = workerCount > 0 ? createStepWorkers(workerCount) : null;
  clf.stepWorkers = stepWorkers;
  try {
    history = fineTune
      ? await clf.fineTune(trainSet.images, {
          ...common,
          freeze: config.freeze,
          headEpochs: config.headEpochs,
          epochs: config.epochs,
          lr: config.lr,
          lrMult: config.lrMult,
          head: config.head,
          probe: config.l2 !== undefined ? { l2: config.l2 } : undefined,
        })
      : await clf.fit(trainSet.images, {
          ...common,
          epochs: config.epochs,
          lr: config.lr,
          head: config.head,
          probe: config.l2 !== undefined ? { l2: config.l2 } : undefined,
        });
  } finally {
    process.off('SIGINT', onSigint);
    await stepWorkers?.terminate();
  }

  // data.json: what was used, how it was split, with content hashes; and what was skipped.
  const validationIds = new Set(valSet ? [] : history.data.validation);
  const records: DataRecord[] = [
    ...trainSet.images.map((i) => ({
      path: i.id!,
      label: i.label,
      split: (validationIds.has(i.id!) ? 'validation' : 'train') as DataRecord['split'],
      sha256: trainSet.hashes.get(i.id!),
    })),
    ...(valSet?.images ?? []).map((i) => ({
      path: i.id!,
      label: i.label,
      split: 'validation' as const,
      sha256: valSet!.hashes.get(i.id!),
    })),
  ];
  await run.writeJson(RUN_FILES.data, {
    source: dataPath,
    validationSource: flags.val ?? null,
    classes: scanned.classes,
    files: records,
    skipped: [...trainSet.skipped, ...(valSet?.skipped ?? [])],
  });

  if (history.stopReason === 'aborted') {
    await run.writeJson(RUN_FILES.config, {
      ...config,
      interruptedAt: new Date().toISOString(),
      completedEpochs: epochs.length,
    });
    say(
      `graft: stopped; the latest checkpoint (end of the last finished epoch) is in ${run.path(RUN_FILES.checkpoints)}/latest\n` +
        `graft: continue with: graft train ${dataPath} --out ${run.dir} --resume`,
    );
    clf.dispose();
    process.exitCode = 130;
    return;
  }

  const probe = history.phases.find((p) => p.probe)?.probe;
  if (probe) say(`graft: ${describeProbe(probe)}`);
  say(
    `graft: backbone ran on ${clf.stats.backboneImages} image(s); ${clf.stats.featureCacheHits} feature vector(s) came from the cache`,
  );
  if (fineTune)
    say(
      clf.stats.frozenActivationStore === 'none'
        ? 'graft: the frozen layers ran every step (augmentation on, or nothing frozen)'
        : `graft: frozen-layer outputs computed once and kept ${clf.stats.frozenActivationStore === 'memory' ? 'in memory' : 'in a float16 temporary file'} (${(clf.stats.frozenActivationBytes / 2 ** 20).toFixed(0)} MB as float32)${clf.stats.stepWorkers > 0 ? `; ${clf.stats.stepWorkers} worker thread(s) computed parts of each step` : ''}`,
    );
  await clf.save(folderSaveHandler(run.path(RUN_FILES.model), clf.manifest()));
  const validationImages = valSet ? valSet.images : trainSet.images.filter((i) => validationIds.has(i.id!));
  const evaluation = validationImages.length > 0 ? await clf.evaluate(validationImages) : null;
  await run.writeJson(RUN_FILES.evaluation, evaluation);
  await run.writeJson(RUN_FILES.config, {
    ...config,
    finishedAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    stopReason: history.stopReason,
  });
  await writeReport(run);
  clf.dispose();

  const summary = {
    type: 'done',
    run: run.dir,
    model: run.path(RUN_FILES.model),
    report: run.path(RUN_FILES.report),
    validationAccuracy: evaluation?.accuracy ?? null,
    stopReason: history.stopReason,
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `${evaluation ? `validation accuracy ${(evaluation.accuracy * 100).toFixed(1)}% on ${evaluation.examples} images\n` : ''}` +
        `run folder: ${run.dir}\nmodel:      ${summary.model}\nreport:     ${summary.report}\n` +
        `predict:    graft predict ${run.dir} <image or folder>\n`,
    );
  }
}
