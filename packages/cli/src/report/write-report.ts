import type { ClassifierEvaluation, EpochLog } from '@graft/core';
import { imageThumbnail, trainingReportHtml, writeFileAtomic } from '@graft/core/advanced';
import { RUN_FILES, type RunFolder } from '../runs/run-folder.js';

/** (Re)writes `report.html` of a run from its config, metrics, evaluation and data files. */
export async function writeReport(run: RunFolder): Promise<string> {
  const config = await run.readJson<Record<string, unknown>>(RUN_FILES.config);
  let evaluation: ClassifierEvaluation | null = null;
  try {
    evaluation = await run.readJson<ClassifierEvaluation | null>(RUN_FILES.evaluation);
  } catch {}
  let data: { skipped?: { path: string; reason: string }[]; files?: { split: string }[] } = {};
  try {
    data = await run.readJson(RUN_FILES.data);
  } catch {}
  const count = (split: string) => (data.files ?? []).filter((f) => f.split === split).length;
  const html = await trainingReportHtml({
    history: await run.readMetrics<EpochLog>(),
    evaluation,
    strategy: String(config.strategy),
    model: String(config.model),
    weights: String(config.weightsSource ?? config.weights),
    classes: config.classes as string[] | undefined,
    trainImages: count('train'),
    validationImages: count('validation'),
    skipped: data.skipped ?? [],
    config,
    thumbnail: (id) => imageThumbnail(id),
  });
  const path = run.path(RUN_FILES.report);
  await writeFileAtomic(path, html);
  return path;
}
