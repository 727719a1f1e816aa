import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { MODEL_FILES } from './model-files.js';

/** The files of a run folder (see the CLI README). */
export const RUN_FILES = {
  config: 'config.json',
  data: 'data.json',
  metrics: 'metrics.jsonl',
  evaluation: 'evaluation.json',
  report: 'report.html',
  model: 'model',
  checkpoints: 'checkpoints',
} as const;

/** `runs/2026-11-28T03-10-00` (local time, sortable). */
export function defaultRunDir(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`;
  return join('runs', stamp);
}

export class RunFolder {
  constructor(readonly dir: string) {}

  static async create(dir: string): Promise<RunFolder> {
    await mkdir(join(dir, RUN_FILES.checkpoints), { recursive: true });
    return new RunFolder(resolve(dir));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await writeFileAtomic(this.path(name), `${JSON.stringify(value, null, 2)}\n`);
  }

  async readJson<T>(name: string): Promise<T> {
    return JSON.parse(await readFile(this.path(name), 'utf8')) as T;
  }

  async appendMetrics(line: object): Promise<void> {
    await appendFile(this.path(RUN_FILES.metrics), `${JSON.stringify(line)}\n`);
  }

  async readMetrics<T>(): Promise<T[]> {
    try {
      const text = await readFile(this.path(RUN_FILES.metrics), 'utf8');
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as T);
    } catch {
      return [];
    }
  }
}

/** The model folder of a run folder, or the folder itself when it is a model folder. */
export function resolveModelDir(runOrModel: string): string {
  const inRun = join(runOrModel, RUN_FILES.model);
  if (existsSync(join(inRun, MODEL_FILES.json))) return inRun;
  if (existsSync(join(runOrModel, MODEL_FILES.json))) return runOrModel;
  throw new Error(
    `${runOrModel} is neither a run folder (with model/${MODEL_FILES.json}) nor a model folder (with ${MODEL_FILES.json})`,
  );
}
