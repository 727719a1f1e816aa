import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULTS, fileLoadHandler, loadClassifier } from '@graft/core';
import {
  listImageFiles,
  MODEL_FILES,
  modelFolderId,
  quantizeWeights,
  replaceFolderAtomic,
  scanDataset,
} from '@graft/core/advanced';
import * as tfc from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { decodeInputs } from '../data/decode-inputs.js';
import { loadDataset } from '../data/load-dataset.js';
import { positiveInt, UsageError } from '../errors.js';
import { writeReport } from '../report/write-report.js';
import { RunFolder, resolveModelDir } from '../runs/run-folder.js';
import { ENGINE_OPTION, startEngine, startRuntime } from '../runtime/context.js';
import { addShardOptions, runSharded, type ShardFlags } from './scale.js';

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `graft predict`, `graft evaluate`, `graft report`, `graft export`: using a trained model. */
export function registerModelCommands(program: Command): void {
  const predict = program
    .command('predict <run-or-model> <images...>')
    .description('classify images (files or folders) with a trained model')
    .option('--top <k>', 'classes per image', positiveInt('--top'), DEFAULTS.predict.topK)
    .option('--json', 'one JSON array on stdout')
    .option('--csv', 'CSV on stdout: file,label,probability')
    .option('--backend <name>', 'auto, tensorflow-gpu, tensorflow, wasm or cpu', 'auto')
    .option(...ENGINE_OPTION);
  addShardOptions(predict).action(
    async (
      runOrModel: string,
      inputs: string[],
      opts: ShardFlags & { top: number; json?: boolean; csv?: boolean; backend: string; engine: string },
    ) => {
      if (opts.json && opts.csv) throw new UsageError('give either --json or --csv');
      const engine = await startEngine(opts.engine, await startRuntime(opts.backend));
      if (opts.out) {
        const modelDir = resolve(resolveModelDir(runOrModel));
        const task = {
          kind: 'predict' as const,
          modelDir,
          weightsId: await modelFolderId(modelDir),
          topK: opts.top,
        };
        return runSharded(task, inputs, { ...opts, batchSize: DEFAULTS.predict.batchSize }, engine);
      }
      const clf = await loadClassifier(fileLoadHandler(resolveModelDir(runOrModel)));
      clf.accelerator = engine.accelerator;
      const { images, skipped } = await decodeInputs(await listImageFiles(inputs), clf.info.inputSize);
      const predictions = await clf.predict(
        images.map((i) => i.image),
        { topK: opts.top },
      );
      clf.dispose();
      const rows = images.map((img, i) => ({
        file: img.file,
        label: predictions[i]!.label,
        probability: predictions[i]!.probability,
        top: predictions[i]!.top.map(({ label, probability }) => ({ label, probability })),
      }));
      if (opts.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else if (opts.csv) {
        process.stdout.write('file,label,probability\n');
        for (const r of rows)
          process.stdout.write(`${csvCell(r.file)},${csvCell(r.label)},${r.probability.toFixed(6)}\n`);
      } else {
        for (const r of rows) {
          process.stdout.write(
            `${r.file}\t${r.top.map((t) => `${t.label} ${(t.probability * 100).toFixed(1)}%`).join('  ')}\n`,
          );
        }
      }
      if (skipped.length > 0) process.exitCode = 1;
    },
  );

  program
    .command('evaluate <run-or-model> <data>')
    .description('accuracy, top-k, per-class precision/recall/F1 and confusion matrix on labelled data')
    .option('--json', 'the full evaluation as JSON on stdout')
    .option('--strict', 'fail on the first bad image instead of skipping it')
    .option('--backend <name>', 'auto, tensorflow-gpu, tensorflow, wasm or cpu', 'auto')
    .option(...ENGINE_OPTION)
    .action(
      async (
        runOrModel: string,
        data: string,
        opts: { json?: boolean; strict?: boolean; backend: string; engine: string },
      ) => {
        const engine = await startEngine(opts.engine, await startRuntime(opts.backend));
        const clf = await loadClassifier(fileLoadHandler(resolveModelDir(runOrModel)));
        clf.accelerator = engine.accelerator;
        const scanned = await scanDataset(data);
        const unknown = scanned.classes.filter((c) => !clf.classes.includes(c));
        if (unknown.length > 0)
          throw new UsageError(
            `${data} has classes the model does not know: ${unknown.join(', ')} (it knows ${clf.classes.join(', ')})`,
          );
        const loaded = await loadDataset(scanned, {
          strict: opts.strict,
          maxSize: clf.info.inputSize,
          warn: (m) => process.stderr.write(`graft: warning: ${m}\n`),
        });
        const report = await clf.evaluate(loaded.images);
        clf.dispose();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const w = Math.max(5, ...report.labels.map((l) => l.length));
        const column = Math.max(8, ...report.labels.map((l) => l.length));
        // top-k with k ≥ the number of classes is 100% by definition: not worth a line
        const topK = Object.entries(report.topK).filter(([k]) => Number(k) < report.labels.length);
        const lines = [
          `accuracy ${(report.accuracy * 100).toFixed(2)}% on ${report.examples} images, loss ${report.loss.toFixed(4)}`,
          ...(topK.length > 0
            ? [`top-k: ${topK.map(([k, v]) => `top-${k} ${(v * 100).toFixed(1)}%`).join(', ')}`]
            : []),
          '',
          `${'class'.padEnd(w)}  precision  recall     F1  images`,
          ...report.perClass.map(
            (m) =>
              `${m.label.padEnd(w)}  ${(m.precision * 100).toFixed(1).padStart(8)}%  ${(m.recall * 100).toFixed(1).padStart(5)}%  ${(m.f1 * 100).toFixed(1).padStart(5)}%  ${String(m.support).padStart(6)}`,
          ),
          '',
          'confusion (rows: true, columns: predicted)',
          `${''.padEnd(w)}  ${report.labels.map((l) => l.padStart(column)).join(' ')}`,
          ...report.confusion.map(
            (row, i) =>
              `${report.labels[i]!.padEnd(w)}  ${row.map((v) => String(v).padStart(column)).join(' ')}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );

  program
    .command('report <run>')
    .description('(re)write report.html of a run folder')
    .action(async (dir: string) => {
      process.stdout.write(`${await writeReport(new RunFolder(dir))}\n`);
    });

  program
    .command('export <run-or-model>')
    .description(
      `write a self-contained model folder (${MODEL_FILES.json} + weights + ${MODEL_FILES.manifest}) for @graft/web or tf.loadLayersModel`,
    )
    .requiredOption('--out <dir>', 'folder to write')
    .option('--quantize <dtype>', 'float16 (half the size) or uint8 (a quarter)', (v) => {
      if (v !== 'float16' && v !== 'uint8')
        throw new UsageError(`--quantize must be float16 or uint8, got '${v}'`);
      return v;
    })
    .action(async (runOrModel: string, opts: { out: string; quantize?: 'float16' | 'uint8' }) => {
      const dir = resolveModelDir(runOrModel);
      const json = JSON.parse(await readFile(join(dir, MODEL_FILES.json), 'utf8')) as tfc.io.ModelJSON;
      const artifacts = await fileLoadHandler(dir).load!();
      let specs = artifacts.weightSpecs ?? [];
      let data: Uint8Array = new Uint8Array(
        tfc.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer),
      );
      if (opts.quantize) ({ specs, data } = quantizeWeights(specs, data.slice().buffer, opts.quantize));
      const manifest = (json.userDefinedMetadata as { graft?: unknown } | undefined)?.graft;
      await replaceFolderAtomic(opts.out, async (temp) => {
        await writeFile(join(temp, MODEL_FILES.weights), data);
        await writeFile(
          join(temp, MODEL_FILES.json),
          JSON.stringify({ ...json, weightsManifest: [{ paths: [MODEL_FILES.weights], weights: specs }] }),
        );
        if (manifest)
          await writeFile(join(temp, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
      });
      process.stdout.write(`${opts.out}\n`);
    });
}
