import { modelFilesOf, writeZip } from '@graft/core/advanced';
import type { EngineClient } from './client.js';
import { h } from './dom.js';
import { message, type Reporter } from './events.js';
import type { ModelFiles, ModelReady } from './protocol.js';

/** Where a model comes from in `load()`: a URL (folder or model.json), a ZIP, or the files themselves. */
export type ModelSource = string | Blob | ModelFiles | FileList | File[];

/** What the model's export and import need from the element. */
export interface ModelHost {
  engine(): Promise<EngineClient>;
  report: Pick<Reporter, 'fail'>;
  /** Predicts with a model just loaded. */
  adopt(ready: ModelReady): Promise<void>;
  showStatus(text: string): void;
}

/** Export and import of the trained model: its files, a folder, the browser's IndexedDB. */
export class ModelIO {
  constructor(private readonly host: ModelHost) {}

  async files(): Promise<ModelFiles> {
    return (await this.host.engine()).call('exportModel', undefined as never);
  }

  async saveToFolder(): Promise<void> {
    const picker = folderPicker();
    if (!picker)
      throw this.host.report.fail(
        'this browser cannot write to a folder; use Download instead',
        'download the ZIP',
      );
    const files = await this.files();
    await writeFolder(await picker({ mode: 'readwrite' }), files);
  }

  async load(source: ModelSource): Promise<ModelReady> {
    try {
      const engine = await this.host.engine();
      const ready =
        typeof source === 'string'
          ? await engine.call('loadModel', { url: source })
          : await engine.call('loadModel', { files: await modelFilesOf(source) });
      await this.host.adopt(ready);
      return ready;
    } catch (err) {
      throw this.host.report.fail(message(err), 'choose a model exported by Graft');
    }
  }

  async saveToBrowser(name: string): Promise<void> {
    await (await this.host.engine()).call('saveToIndexedDB', { name });
    this.host.showStatus(`Saved in this browser as '${name}'`);
  }

  async loadFromBrowser(name: string): Promise<ModelReady> {
    try {
      const ready = await (await this.host.engine()).call('loadFromIndexedDB', { name });
      await this.host.adopt(ready);
      return ready;
    } catch (err) {
      throw this.host.report.fail(message(err), 'save a model in this browser first');
    }
  }
}

/** The name _Download model_ gives the ZIP. */
export const MODEL_ZIP_NAME = 'graft-model.zip';

/** A model's files as a ZIP (what `graft predict` reads, unzipped). */
export function zipBlob(files: ModelFiles): Blob {
  return new Blob([writeZip(files)], { type: 'application/zip' });
}

/** Has the browser download `blob` as `name` (through a link in `parent`). */
export function downloadBlob(parent: ParentNode, blob: Blob, name: string): void {
  const a = h('a', { download: name });
  a.href = URL.createObjectURL(blob);
  parent.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

type FolderPicker = (options?: object) => Promise<FileSystemDirectoryHandle>;

/** The File System Access API's folder picker, where the browser has one. */
export function folderPicker(): FolderPicker | undefined {
  return (globalThis as { showDirectoryPicker?: FolderPicker }).showDirectoryPicker;
}

/** Writes each file into `dir`. */
async function writeFolder(dir: FileSystemDirectoryHandle, files: ModelFiles): Promise<void> {
  for (const [name, data] of Object.entries(files)) {
    const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
    await writable.write(data as Uint8Array<ArrayBuffer>);
    await writable.close();
  }
}
