import { availableParallelism } from 'node:os';
import {
  DEFAULT_PIXEL_LIMIT,
  type HeadSolver,
  type OptimizerName,
  type Schedule,
} from '@graft/core/advanced';
import { getModel } from '@graft/zoo';
import type { Command } from 'commander';
import { imageSize, positiveInt, UsageError } from '../../errors.js';
import { ENGINE_OPTION, MIRROR_OPTION } from '../../runtime/context.js';
import { CLI_DEFAULTS, formatRate } from './defaults.js';

export const STRATEGIES = ['feature-extraction', 'fine-tune'] as const;
export const HEADS = ['auto', 'probe', 'sgd'] as const satisfies readonly HeadSolver[];
export const SCHEDULES = ['constant', 'cosine', 'one-cycle'] as const satisfies readonly Schedule[];
export const OPTIMIZERS = ['adam', 'sgd'] as const satisfies readonly OptimizerName[];
export const CLASS_WEIGHTS = ['auto'] as const;

/** `graft train`'s options as commander parses them (unset numbers: the strategy's default). */
export interface TrainFlags {
  strategy: (typeof STRATEGIES)[number];
  model: string;
  weights?: string;
  /** Base URL replacing the official one for weight downloads. */
  mirror?: string;
  freeze?: string;
  head: (typeof HEADS)[number];
  l2?: number;
  epochs?: number;
  headEpochs?: number;
  batchSize?: number;
  lr?: number;
  lrMult?: number;
  schedule: (typeof SCHEDULES)[number];
  optimizer: (typeof OPTIMIZERS)[number];
  valSplit?: number;
  val?: string;
  imageSize?: [number, number];
  augment?: boolean;
  /** A merged `graft embed --out` folder whose features stand in for the backbone. */
  features?: string;
  classWeights?: (typeof CLASS_WEIGHTS)[number];
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

/** `--freeze`: a Keras layer index or a layer name. */
export function parseFreeze(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** `--workers`: a count, or auto (one per core beyond the main thread's). */
export function stepWorkerCount(value: string): number {
  if (value === 'auto') return Math.max(0, availableParallelism() - 1);
  if (!/^\d+$/.test(value)) throw new UsageError(`--workers must be auto or a whole number, got '${value}'`);
  return Number(value);
}

/** Adds `graft train`'s options, with their parsers and defaults, to `command`. */
export function addTrainOptions(command: Command): Command {
  const { featureExtraction: fe, fineTune: ft } = CLI_DEFAULTS;
  const freezeExample = getModel(CLI_DEFAULTS.model).fineTune?.defaultFreeze;
  return command
    .option(
      '--strategy <name>',
      'feature-extraction or fine-tune',
      oneOf('--strategy', STRATEGIES),
      'feature-extraction',
    )
    .option('--model <id>', 'zoo backbone', CLI_DEFAULTS.model)
    .option(
      '--weights <weights>',
      "a pretrained variant (default the model's own, e.g. imagenet) or a Keras .h5 file",
    )
    .option(...MIRROR_OPTION)
    .option(
      '--freeze <N|LAYER>',
      `fine-tune: freeze layers[0..N-1] (Keras index) or up to a layer (default the model's${freezeExample ? `, e.g. ${freezeExample}` : ''})`,
    )
    .option(
      '--head <solver>',
      'the new head (fine-tune: its first phase): probe (solved to optimum by L-BFGS, L2 chosen by cross-validation or on --val), sgd (epochs of mini-batches) or auto (probe unless --augment)',
      oneOf('--head', HEADS),
      CLI_DEFAULTS.common.head,
    )
    .option('--l2 <strength>', 'probe: this L2 strength instead of choosing one', (v) => {
      const n = Number(v);
      if (!(n >= 0) || !Number.isFinite(n)) throw new UsageError(`--l2 must be a number ≥ 0, got '${v}'`);
      return n;
    })
    .option(
      '--epochs <n>',
      `epochs (feature extraction with --head sgd default ${fe.epochs}; fine-tune phase two default ${ft.epochs})`,
      positiveInt('--epochs'),
    )
    .option(
      '--head-epochs <n>',
      `fine-tune with --head sgd: epochs training the head first (default ${ft.headEpochs}; 0 skips it)`,
      (v) => (v === '0' ? 0 : positiveInt('--head-epochs')(v)),
    )
    .option(
      '--batch-size <n>',
      `examples per step (default ${fe.batchSize}; fine-tune ${ft.batchSize})`,
      positiveInt('--batch-size'),
    )
    .option(
      '--lr <rate>',
      `learning rate (default ${formatRate(fe.lr)}; fine-tune phase two ${formatRate(ft.lr)})`,
      positiveNumber('--lr'),
    )
    .option(
      '--lr-mult <x>',
      'fine-tune: rates spread from lr/x (earliest unfrozen stage) to lr (the head)',
      positiveNumber('--lr-mult'),
    )
    .option(
      '--schedule <name>',
      'constant, cosine or one-cycle',
      oneOf('--schedule', SCHEDULES),
      CLI_DEFAULTS.common.schedule,
    )
    .option(
      '--optimizer <name>',
      'adam or sgd',
      oneOf('--optimizer', OPTIMIZERS),
      CLI_DEFAULTS.common.optimizer,
    )
    .option(
      '--val-split <fraction>',
      `hold out this fraction of each class for validation (default ${CLI_DEFAULTS.valSplit})`,
      fraction,
    )
    .option('--val <data>', 'a separate validation data set (folder or CSV/JSONL)')
    .option('--image-size <size>', 'resize images to N or HxW (default: the model’s input size)', imageSize)
    .option('--augment', 'random crops, flips, brightness and contrast')
    .option('--features <dir>', 'features from a merged graft embed --out DIR: the backbone does not run')
    .option(
      '--class-weights <auto>',
      "'auto' to balance imbalanced classes",
      oneOf('--class-weights', CLASS_WEIGHTS),
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
      CLI_DEFAULTS.head.dropout,
    )
    .option(
      '--seed <n>',
      'seed for splits, shuffling, augmentation and dropout',
      (v) => {
        if (!/^\d+$/.test(v)) throw new UsageError(`--seed must be a whole number, got '${v}'`);
        return Number(v);
      },
      CLI_DEFAULTS.common.seed,
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
    .option('--overwrite', 'replace the run already in --out (without it, a used --out is refused)');
}

/** Combinations of flags that do not go together: refused before any work. */
export function checkFlags(flags: TrainFlags): void {
  if (flags.val && flags.valSplit) throw new UsageError('give either --val or --val-split, not both');
  if (
    flags.strategy === 'feature-extraction' &&
    (flags.freeze || flags.headEpochs !== undefined || flags.lrMult)
  ) {
    throw new UsageError('--freeze, --head-epochs and --lr-mult are for --strategy fine-tune');
  }
  if (flags.features && (flags.augment || flags.strategy === 'fine-tune'))
    throw new UsageError(
      '--features holds one fixed view per image: it trains a head (feature extraction) without --augment',
    );
  if (flags.head === 'probe' && flags.augment) {
    throw new UsageError('--head probe solves a head on fixed features: with --augment use --head sgd');
  }
  if (flags.l2 !== undefined && (flags.head === 'sgd' || (flags.head === 'auto' && flags.augment))) {
    throw new UsageError('--l2 is for the probe head (--head probe, or auto without --augment)');
  }
}
