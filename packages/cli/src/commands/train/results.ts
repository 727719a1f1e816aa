import type { Classifier, ClassifierEvaluation, TrainingHistory } from '@graft/core';
import type { ProbeSummary } from '@graft/core/advanced';
import type { DataRecord, LoadedDataset } from '../../data/load-dataset.js';
import { RUN_FILES, type RunFolder } from '../../runs/run-folder.js';
import { formatStrength } from '../../ui/training-progress.js';

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

/** The data a run used and what it held out. */
export interface RunData {
  path: string;
  classes: string[];
  trainSet: LoadedDataset;
  /** The separate validation set (--val), if any. */
  valSet: LoadedDataset | null;
  valPath: string | undefined;
}

/** data.json: what was used, how it was split, with content hashes; and what was skipped. */
export async function writeDataJson(
  run: RunFolder,
  data: RunData,
  validationIds: Set<string>,
): Promise<void> {
  const { trainSet, valSet } = data;
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
    source: data.path,
    validationSource: data.valPath ?? null,
    classes: data.classes,
    files: records,
    skipped: [...trainSet.skipped, ...(valSet?.skipped ?? [])],
  });
}

/** What the head's solver chose, and where the backbone's and frozen layers' outputs came from. */
export function describeTraining(clf: Classifier, history: TrainingHistory, fineTune: boolean): string[] {
  const lines: string[] = [];
  const probe = history.phases.find((p) => p.probe)?.probe;
  if (probe) lines.push(`graft: ${describeProbe(probe)}`);
  lines.push(
    `graft: backbone ran on ${clf.stats.backboneImages} image(s); ${clf.stats.featureCacheHits} feature vector(s) came from the cache`,
  );
  if (fineTune)
    lines.push(
      clf.stats.frozenActivationStore === 'none'
        ? 'graft: the frozen layers ran every step (augmentation on, or nothing frozen)'
        : `graft: frozen-layer outputs computed once and kept ${clf.stats.frozenActivationStore === 'memory' ? 'in memory' : 'in a float16 temporary file'} (${(clf.stats.frozenActivationBytes / 2 ** 20).toFixed(0)} MB as float32)${clf.stats.stepWorkers > 0 ? `; ${clf.stats.stepWorkers} worker thread(s) computed parts of each step` : ''}`,
    );
  return lines;
}

/** The finished run on stdout: a summary event with --json, or where everything is. */
export function printSummary(
  run: RunFolder,
  evaluation: ClassifierEvaluation | null,
  history: TrainingHistory,
  json: boolean,
): void {
  const summary = {
    type: 'done',
    run: run.dir,
    model: run.path(RUN_FILES.model),
    report: run.path(RUN_FILES.report),
    validationAccuracy: evaluation?.accuracy ?? null,
    stopReason: history.stopReason,
  };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `${evaluation ? `validation accuracy ${(evaluation.accuracy * 100).toFixed(1)}% on ${evaluation.examples} images\n` : ''}` +
        `run folder: ${run.dir}\nmodel:      ${summary.model}\nreport:     ${summary.report}\n` +
        `predict:    graft predict ${run.dir} <image or folder>\n`,
    );
  }
}
