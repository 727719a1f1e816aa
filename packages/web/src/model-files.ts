import { MODEL_FILES, readZip, writeZip } from '@graft/core/advanced';
import type { EngineClient } from './client.js';
import { h } from './dom.js';
import { message, type Reporter } from './events.js';
import type { ModelFiles, ModelReady } from './protocol.js';

/** core's file names come from a module without TF.js: the page's script stays free of it. */
const MODEL_JSON = MODEL_FILES.json;

/** Where a model comes from in `load()`: a URL (folder or model.json), a ZIP, or the files themselves. */
export type ModelSource = string | Blob | ModelFiles | FileList | File[];

/** What the model's export and import need from the element. */
export interface ModelHost {
  engine(): Promise<EngineClient>;
  report: Pick<Reporter, 'fail'>;
  /** Predicts with a model just loaded. */
  adopt(ready: ModelReady): void;
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
          : await engine.call('loadModel', { files: await filesOf(source) });
      this.host.adopt(ready);
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
      this.host.adopt(ready);
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

/** The files of a model from a ZIP, a FileList/array of files, or a files map. */
export async function filesOf(source: Exclude<ModelSource, string>): Promise<ModelFiles> {
  if (source instanceof Blob) {
    const name = source instanceof File ? source.name : 'the model archive';
    return stripFolders(await readZip(new Uint8Array(await source.arrayBuffer()), name));
  }
  const list = typeof FileList !== 'undefined' && source instanceof FileList ? [...source] : source;
  if (Array.isArray(list)) {
    if (list.length === 1 && /\.zip$/i.test(list[0]!.name)) return filesOf(list[0]!);
    const out: ModelFiles = {};
    for (const file of list) out[file.name] = new Uint8Array(await file.arrayBuffer());
    return out;
  }
  return source as ModelFiles;
}

/** A ZIP of a folder (`graft-model/model.json`) reads like one of its files. */
function stripFolders(files: ModelFiles): ModelFiles {
  const json = Object.keys(files).find((n) => n === MODEL_JSON || n.endsWith(`/${MODEL_JSON}`));
  if (!json)
    throw new Error(`the archive has no ${MODEL_JSON}: it is not a model exported by Graft or TF.js`);
  const prefix = json.slice(0, json.length - MODEL_JSON.length);
  const out: ModelFiles = {};
  for (const [name, data] of Object.entries(files))
    if (name.startsWith(prefix)) out[name.slice(prefix.length)] = data;
  return out;
}
