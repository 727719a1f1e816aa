import { resolve } from 'node:path';
import type { StopReason } from '@graft/core/advanced';
import { type ModelSpec, ZOO_VERSION } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { UsageError } from '../../errors.js';
import {
  either,
  type Fields,
  isBoolean,
  isNumber,
  isPair,
  isString,
  isStrings,
  oneOf,
  optional,
  parseFields,
} from '../../runs/checked-json.js';
import { RUN_FILES, RunFolder } from '../../runs/run-folder.js';
import { CLI_VERSION } from '../../version.js';
import { CLI_DEFAULTS } from './defaults.js';
import {
  CLASS_WEIGHTS,
  HEADS,
  OPTIMIZERS,
  parseFreeze,
  SCHEDULES,
  STRATEGIES,
  type TrainFlags,
} from './flags.js';

/** The options of a run that are flags of the same name and type: `--resume` takes them back as they are. */
export interface RunOptions {
  strategy: TrainFlags['strategy'];
  model: string;
  weights?: string;
  head: TrainFlags['head'];
  l2?: number;
  epochs: number;
  headEpochs?: number;
  batchSize: number;
  lr: number;
  lrMult?: number;
  schedule: TrainFlags['schedule'];
  optimizer: TrainFlags['optimizer'];
  imageSize: [number, number];
  augment: boolean;
  classWeights?: TrainFlags['classWeights'];
  earlyStop?: number;
  dropout: number;
  seed: number;
}

/** A run folder's config.json: the run's options with every default resolved, and what ran it. */
export interface RunConfig extends RunOptions {
  command: 'train';
  data: string;
  weightsSource: string;
  weightsId: string;
  classes: string[];
  /** Fine-tuning: the layers frozen (a Keras index or a layer name). */
  freeze?: number | string;
  validation: { data: string } | { split: number };
  backend: string;
  engine: string;
  versions: { cli: string; zoo: string; tfjs: string; node: string };
  startedAt: string;
  resumedAt?: string;
  interruptedAt?: string;
  completedEpochs?: number;
  finishedAt?: string;
  seconds?: number;
  stopReason?: StopReason;
}

/** What a run's options are resolved against: the backbone and data found, the runtime started. */
export interface RunFacts {
  spec: ModelSpec;
  weights: { source: string; id: string };
  classes: string[];
  imageSize: [number, number];
  backend: string;
  engine: string;
  /** The config of the run this one resumes. */
  resumed?: RunConfig;
}

/** The config of a run of `flags` on `dataPath`: each unset option takes the CLI's default. */
export function runConfigOf(dataPath: string, flags: TrainFlags, facts: RunFacts): RunConfig {
  const fineTune = flags.strategy === 'fine-tune';
  const defaults = fineTune ? CLI_DEFAULTS.fineTune : CLI_DEFAULTS.featureExtraction;
  const now = new Date().toISOString();
  return {
    command: 'train',
    data: dataPath,
    strategy: flags.strategy,
    model: facts.spec.id,
    weights: flags.weights,
    weightsSource: facts.weights.source,
    weightsId: facts.weights.id,
    classes: facts.classes,
    // without a default in the spec, core's classifier decides (and says what to pass)
    freeze: fineTune ? (parseFreeze(flags.freeze) ?? facts.spec.fineTune?.defaultFreeze) : undefined,
    head: flags.head,
    l2: flags.l2,
    epochs: flags.epochs ?? defaults.epochs,
    headEpochs: fineTune ? (flags.headEpochs ?? CLI_DEFAULTS.fineTune.headEpochs) : undefined,
    batchSize: flags.batchSize ?? defaults.batchSize,
    lr: flags.lr ?? defaults.lr,
    lrMult: fineTune ? (flags.lrMult ?? CLI_DEFAULTS.fineTune.lrMult) : undefined,
    schedule: flags.schedule,
    optimizer: flags.optimizer,
    validation: flags.val ? { data: flags.val } : { split: flags.valSplit ?? CLI_DEFAULTS.valSplit },
    imageSize: facts.imageSize,
    augment: flags.augment ?? false,
    classWeights: flags.classWeights,
    earlyStop: flags.earlyStop,
    dropout: flags.dropout,
    seed: flags.seed,
    backend: facts.backend,
    engine: facts.engine,
    versions: { cli: CLI_VERSION, zoo: ZOO_VERSION, tfjs: tfc.version_core, node: process.version },
    startedAt: facts.resumed?.startedAt ?? now,
    resumedAt: facts.resumed ? now : undefined,
  };
}

const OPTION_FIELDS: Fields<RunOptions> = {
  strategy: oneOf(STRATEGIES),
  model: isString,
  weights: optional(isString),
  // absent from runs made before --head
  head: (v) => optional(oneOf(HEADS))(v) ?? 'auto',
  l2: optional(isNumber),
  epochs: isNumber,
  headEpochs: optional(isNumber),
  batchSize: isNumber,
  lr: isNumber,
  lrMult: optional(isNumber),
  schedule: oneOf(SCHEDULES),
  optimizer: oneOf(OPTIMIZERS),
  imageSize: isPair,
  augment: isBoolean,
  classWeights: optional(oneOf(CLASS_WEIGHTS)),
  earlyStop: optional(isNumber),
  dropout: isNumber,
  seed: isNumber,
};

const CONFIG_FIELDS: Fields<RunConfig> = {
  ...OPTION_FIELDS,
  command: oneOf(['train'] as const),
  data: isString,
  weightsSource: isString,
  weightsId: isString,
  classes: isStrings,
  freeze: optional(either(isNumber, isString)),
  validation: either(
    (v) => parseFields({ data: isString }, v),
    (v) => parseFields({ split: isNumber }, v),
  ),
  backend: isString,
  engine: isString,
  versions: (v) => parseFields({ cli: isString, zoo: isString, tfjs: isString, node: isString }, v),
  startedAt: isString,
  resumedAt: optional(isString),
  interruptedAt: optional(isString),
  completedEpochs: optional(isNumber),
  finishedAt: optional(isString),
  seconds: optional(isNumber),
  stopReason: optional(oneOf(['completed', 'early-stopping', 'aborted', 'callback'] as const)),
};

/** A config.json read back: every field checked, or an error naming the first that is not right. */
export function parseRunConfig(json: unknown): RunConfig {
  return parseFields(CONFIG_FIELDS, json);
}

/** With --resume: the interrupted run's config, and the call's flags with the run's own options. */
export async function readResumedRun(
  dataPath: string,
  flags: TrainFlags,
): Promise<{ flags: TrainFlags; config: RunConfig }> {
  if (!flags.out) throw new UsageError('--resume needs --out <run folder> of the run to continue');
  const run = new RunFolder(flags.out);
  let json: unknown;
  try {
    json = await run.readJson(RUN_FILES.config);
  } catch {
    throw new UsageError(
      `${flags.out} has no readable ${RUN_FILES.config}: it is not a run folder to resume`,
    );
  }
  let saved: RunConfig;
  try {
    saved = parseRunConfig(json);
  } catch (err) {
    throw new UsageError(
      `${run.path(RUN_FILES.config)} is not the config of a graft train run (${(err as Error).message}): it cannot be resumed`,
    );
  }
  if (resolve(saved.data) !== resolve(dataPath)) {
    throw new UsageError(
      `${flags.out} was trained on ${saved.data}, not ${dataPath}: resume with the same data`,
    );
  }
  if (saved.finishedAt)
    throw new UsageError(`${flags.out} finished at ${saved.finishedAt}: there is nothing to resume`);
  const { freeze, validation } = saved;
  const resumed: TrainFlags = {
    ...flags,
    ...parseFields(OPTION_FIELDS, saved),
    freeze: freeze === undefined ? undefined : String(freeze),
    val: 'data' in validation ? validation.data : undefined,
    valSplit: 'split' in validation ? validation.split : undefined,
    resume: true,
  };
  return { flags: resumed, config: saved };
}
