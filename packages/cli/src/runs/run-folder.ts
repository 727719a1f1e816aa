import { existsSync, rmSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MODEL_FILES, writeFileAtomic } from '@graft/core/advanced';
import { acquireLock, type FileLock, LockHeldError } from '@graft/zoo';

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

/** Held by the `graft train` writing a run folder, so that a second one cannot write into it too. */
export const RUN_LOCK = 'train.lock';

/** How `graft train` may use a folder that already holds a run. */
export interface RunFolderUse {
  /** Continue the run in it (--resume). */
  resume?: boolean;
  /** Delete the run in it and start a new one (--overwrite). */
  overwrite?: boolean;
}

export class RunFolder {
  private heldLock: FileLock | null = null;

  constructor(readonly dir: string) {}

  /**
   * The folder `graft train` writes, locked for this process. A folder that already holds a run is
   * refused unless the run is resumed or overwritten (its files removed first), so a finished run is
   * never appended to or replaced by accident; a folder another live `graft train` holds is refused.
   */
  static async create(dir: string, use: RunFolderUse = {}): Promise<RunFolder> {
    const run = new RunFolder(resolve(dir));
    await mkdir(run.dir, { recursive: true });
    await run.lock();
    try {
      const used = [RUN_FILES.config, RUN_FILES.metrics, RUN_FILES.model].some((f) =>
        existsSync(run.path(f)),
      );
      if (used && !use.resume && !use.overwrite) {
        throw new RunFolderInUseError(
          `${run.dir} already holds a run: pass --resume to continue it, --overwrite to replace it, or another --out`,
        );
      }
      if (used && use.overwrite && !use.resume) {
        for (const f of Object.values(RUN_FILES)) await rm(run.path(f), { recursive: true, force: true });
      }
      await mkdir(run.path(RUN_FILES.checkpoints), { recursive: true });
      return run;
    } catch (err) {
      await run.release();
      throw err;
    }
  }

  /** Takes the folder's lock (the zoo's file lock, without waiting), or says which process holds it. */
  private async lock(): Promise<void> {
    const path = this.path(RUN_LOCK);
    try {
      this.heldLock = await acquireLock(path, { wait: false });
    } catch (err) {
      if (!(err instanceof LockHeldError)) throw err;
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(err.holder);
      } catch {
        // garbled but fresh: its writer may still be at it
      }
      throw new RunFolderInUseError(
        `${this.dir} is in use by another graft train (pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}); if it is not running, delete ${path}`,
      );
    }
    process.once('exit', () => {
      if (this.heldLock) removeQuietly(path);
    });
  }

  /** Lets the folder go (also done when the process exits). */
  async release(): Promise<void> {
    const lock = this.heldLock;
    this.heldLock = null;
    await lock?.release();
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

/** A run folder that this `graft train` may not write. */
export class RunFolderInUseError extends Error {
  readonly exitCode = 2;
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // exiting anyway
  }
}

/** The model folder of a run folder, or the folder itself when it is a model folder. */
export function resolveModelDir(runOrModel: string): string {
  const inRun = join(runOrModel, RUN_FILES.model);
  if (existsSync(join(inRun, MODEL_FILES.json))) return inRun;
  if (existsSync(join(runOrModel, MODEL_FILES.json))) return runOrModel;
  const latest = join(runOrModel, RUN_FILES.checkpoints, 'latest');
  if (existsSync(join(latest, MODEL_FILES.json))) {
    throw new Error(
      `${runOrModel} is a run that did not finish (no model/ yet): use its last checkpoint, ${latest}, or continue it with graft train --resume`,
    );
  }
  throw new Error(
    `${runOrModel} is neither a run folder (with model/${MODEL_FILES.json}) nor a model folder (with ${MODEL_FILES.json})`,
  );
}
