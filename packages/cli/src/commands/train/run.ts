import { join } from 'node:path';
import {
  type Classifier,
  createClassifier,
  type EpochLog,
  fileLoadHandler,
  fileSaveHandler,
  loadClassifier,
  type TrainingCallbacks,
  type TrainingHistory,
} from '@graft/core';
import {
  createStepWorkers,
  DatasetError,
  DiskFeatureCache,
  featureDataset,
  featuresMismatch,
  fileActivationStore,
  type MergedFeatures,
  openMergedFeatures,
  type ScannedDataset,
  scanDataset,
} from '@graft/core/advanced';
import {
  expectedWeightsId,
  getModel,
  graftHome,
  loadBackbone,
  type ModelSpec,
  nodePlatform,
} from '@graft/zoo';
import { badInputReporter, loadDataset } from '../../data/load-dataset.js';
import { UsageError } from '../../errors.js';
import { writeReport } from '../../report/write-report.js';
import { defaultRunDir, RUN_FILES, RunFolder } from '../../runs/run-folder.js';
import { startEngine, startRuntime } from '../../runtime/context.js';
import { createProgressBar } from '../../ui/progress.js';
import { createTrainingReporter } from '../../ui/training-progress.js';
import { checkpointDir, dropRedoneEpochs, readLatestState, runCallbacks } from './checkpoints.js';
import { checkFlags, stepWorkerCount, type TrainFlags } from './flags.js';
import { describeTraining, printSummary, type RunData, writeDataJson } from './results.js';
import { type RunConfig, runConfigOf } from './run-config.js';

/** What is known before the run folder is written: the backbone, the data, the runtime. */
interface RunSetup {
  spec: ModelSpec;
  inputSize: [number, number];
  data: RunData;
  active: Awaited<ReturnType<typeof startRuntime>>;
  engine: Awaited<ReturnType<typeof startEngine>>;
  requestedWorkers: number;
  /** Training images per class, in `data.classes` order. */
  perClass: number[];
  validates: boolean;
  /** The config of the run this one resumes (--resume). */
  resumed: RunConfig | undefined;
  say: (line: string) => void;
  /** `--features`: the merged embed whose features stand in for the backbone. */
  merged: MergedFeatures | null;
}

/** A count bar over each split's images as the backbone computes their features. */
function featureBars(): TrainingCallbacks {
  let bar: ReturnType<typeof createProgressBar> | null = null;
  return {
    onFeatures({ split, done, total }) {
      bar ??= createProgressBar(`backbone features (${split})`, process.stderr, 'images');
      bar.update(done, total);
      if (done === total) {
        bar.done();
        bar = null;
      }
    },
  };
}

/** Refuses merged features that are not what this run's backbone would compute. */
function checkMergedFeatures(
  merged: MergedFeatures,
  identity: { model: string; weightsId: string; layer: string; inputSize: readonly [number, number] },
): void {
  const problem = featuresMismatch(merged.task, identity);
  if (problem)
    throw new UsageError(`--features ${merged.dir} was embedded differently from this run (${problem})`);
}

/** `graft train`: everything that can be wrong is found before any compute, then the run. */
export async function train(dataPath: string, flags: TrainFlags, resumed?: RunConfig): Promise<void> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  checkFlags(flags);
  const requestedWorkers = stepWorkerCount(flags.workers ?? 'auto');
  const spec = getModel(flags.model);
  const inputSize = flags.imageSize ?? ([spec.inputSize[0], spec.inputSize[1]] as [number, number]);
  const smallest = spec.minInputSize ?? 1;
  if (inputSize[0] < smallest || inputSize[1] < smallest)
    throw new UsageError(
      `--image-size ${inputSize.join('×')} is smaller than ${spec.id} accepts (at least ${smallest}×${smallest})`,
    );

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
  // with --features the images are not decoded: each brings the key of its merged features
  const merged = flags.features ? await openMergedFeatures(flags.features) : null;
  if (merged) {
    const known = await expectedWeightsId(spec.id, { weights: flags.weights }, nodePlatform);
    const identity = { model: spec.id, layer: spec.featureLayer, inputSize };
    checkMergedFeatures(merged, { ...identity, weightsId: known ?? merged.task.weightsId });
  }
  const load = async (s: ScannedDataset) => {
    if (merged) {
      const bad = badInputReporter({ strict: flags.strict, warn });
      const loaded = featureDataset(s, merged, { onBad: bad.onBad });
      bad.finish();
      return loaded;
    }
    const bar = createProgressBar(`decoding ${s.source}`, process.stderr, 'images');
    const loaded = await loadDataset(s, {
      strict: flags.strict,
      warn,
      pixelLimit: flags.maxPixels,
      // random crops zoom in: keep twice the detail for them (fastai's presizing)
      maxSize: flags.augment ? [inputSize[0] * 2, inputSize[1] * 2] : inputSize,
      roundResized: flags.augment,
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.done();
    return loaded;
  };
  const trainSet = await load(scanned);
  const valSet = scannedVal ? await load(scannedVal) : null;

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
    await trainInto(run, flags, {
      spec,
      inputSize,
      data: { path: dataPath, classes: scanned.classes, trainSet, valSet, valPath: flags.val },
      active,
      engine,
      requestedWorkers,
      perClass,
      validates,
      resumed,
      say,
      merged,
    });
  } finally {
    await run.release();
  }
}

async function trainInto(run: RunFolder, flags: TrainFlags, setup: RunSetup): Promise<void> {
  const { spec, data, active, engine, perClass, validates, say } = setup;
  const { trainSet, valSet } = data;
  if (!validates) {
    say(
      'graft: note: one image per class leaves none for validation: the best checkpoint follows the training loss',
    );
  }
  let clf: Classifier;
  let weightsInfo: { source: string; id: string };
  const resume = flags.resume ? await readLatestState(run, (m) => say(`graft: warning: ${m}`)) : undefined;
  if (resume) {
    clf = await loadClassifier(fileLoadHandler(checkpointDir(run, 'latest')));
    weightsInfo = clf.info.weights;
    say(`graft: resuming ${run.dir} from ${resume.phase} epoch ${resume.epoch}`);
  } else {
    const bar = createProgressBar(`downloading ${spec.id} weights`);
    const backbone = await loadBackbone(spec.id, {
      weights: flags.weights,
      mirror: flags.mirror,
      // a convolutional backbone without its top takes any size from its smallest: built at this one
      inputShape: [setup.inputSize[0], setup.inputSize[1], 3],
      onProgress: (p) => p.phase === 'download' && bar.update(p.loaded, p.total, p.rate),
    });
    bar.done();
    weightsInfo = backbone.weights;
    clf = createClassifier({
      backbone,
      classes: data.classes,
      inputSize: setup.inputSize,
      head: { dropout: flags.dropout },
      seed: flags.seed,
    });
  }
  if (setup.merged)
    checkMergedFeatures(setup.merged, {
      model: spec.id,
      weightsId: clf.info.weights.id,
      layer: clf.info.featureLayer,
      inputSize: clf.info.inputSize,
    });
  clf.featureCache = setup.merged
    ? setup.merged.cache
    : new DiskFeatureCache(join(graftHome(), 'features'), { warn: (m) => say(`graft: warning: ${m}`) });
  clf.accelerator = engine.accelerator;
  clf.activationStore = fileActivationStore(); // fine-tuning sets whose frozen activations exceed 1 GB

  const counts = data.classes.map((c, i) => `${c} ${perClass[i]}`).join(', ');
  say(
    `graft: backend ${active.choice}; frozen backbone on ${engine.description}; model ${spec.id} (${spec.title}); weights ${weightsInfo.source}`,
  );
  say(
    `graft: ${trainSet.images.length} images in ${data.classes.length} classes (${counts})${valSet ? `; validation ${valSet.images.length} images from ${flags.val}` : ''}; ${trainSet.skipped.length} skipped`,
  );
  say(`graft: run folder ${run.dir}`);

  const fineTune = flags.strategy === 'fine-tune';
  const config = runConfigOf(data.path, flags, {
    spec,
    weights: weightsInfo,
    classes: data.classes,
    imageSize: setup.inputSize,
    backend: active.choice,
    engine: engine.engine,
    resumed: resume ? setup.resumed : undefined,
  });
  if (resume) await dropRedoneEpochs(run, resume);
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
  const common = {
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    schedule: config.schedule,
    validation: 'split' in config.validation ? { split: config.validation.split } : valSet!.images,
    seed: config.seed,
    augment: config.augment,
    classWeights: config.classWeights,
    earlyStopping: config.earlyStop
      ? { patience: config.earlyStop, monitor: 'val_loss' as const }
      : undefined,
    callbacks: [...runCallbacks(run, clf, validates ? 'val_loss' : 'loss', epochs), featureBars()],
    onProgress: reporter,
    signal: controller.signal,
    resume,
  };
  const started = Date.now();
  let history: TrainingHistory;
  // tfjs runs one thread on wasm in Node: the other cores fine-tune in worker threads
  const workerCount = fineTune && active.choice === 'wasm' && !config.augment ? setup.requestedWorkers : 0;
  const stepWorkers =
    workerCount > 0
      ? createStepWorkers(workerCount, {
          backend: { name: 'wasm', module: import.meta.resolve('@tensorflow/tfjs-backend-wasm') },
          hint: '--workers 0 trains on one thread',
        })
      : null;
  clf.stepWorkers = stepWorkers;
  try {
    const probe = config.l2 !== undefined ? { l2: config.l2 } : undefined;
    history = fineTune
      ? await clf.fineTune(trainSet.images, {
          ...common,
          freeze: config.freeze,
          headEpochs: config.headEpochs,
          epochs: config.epochs,
          lr: config.lr,
          lrMult: config.lrMult,
          head: config.head,
          probe,
        })
      : await clf.fit(trainSet.images, {
          ...common,
          epochs: config.epochs,
          lr: config.lr,
          head: config.head,
          probe,
        });
  } finally {
    process.off('SIGINT', onSigint);
    await stepWorkers?.terminate();
  }

  const validationIds = new Set(valSet ? [] : history.data.validation);
  await writeDataJson(run, data, validationIds);

  if (history.stopReason === 'aborted') {
    await run.writeJson(RUN_FILES.config, {
      ...config,
      interruptedAt: new Date().toISOString(),
      completedEpochs: epochs.length,
    });
    say(
      `graft: stopped; the latest checkpoint (end of the last finished epoch) is in ${run.path(RUN_FILES.checkpoints)}/latest\n` +
        `graft: continue with: graft train ${data.path} --out ${run.dir} --resume`,
    );
    clf.dispose();
    process.exitCode = 130;
    return;
  }

  for (const line of describeTraining(clf, history, fineTune)) say(line);
  await clf.save(fileSaveHandler(run.path(RUN_FILES.model)));
  const validationImages = valSet ? valSet.images : trainSet.images.filter((i) => validationIds.has(i.id!));
  const evaluation = validationImages.length > 0 ? await clf.evaluate(validationImages) : null;
  await run.writeJson(RUN_FILES.evaluation, evaluation);
  await run.writeJson(RUN_FILES.config, {
    ...config,
    finishedAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    stopReason: history.stopReason,
  } satisfies RunConfig);
  await writeReport(run);
  clf.dispose();
  printSummary(run, evaluation, history, flags.json ?? false);
}
