import { MODEL_FILES } from './file-names.js';
import { readZip } from './zip.js';

/** A model's files by name: `model.json`, its weight shards, `graft.json`. */
export type ModelFileMap = Record<string, Uint8Array>;

/**
 * The files of a model from what a user hands over: a ZIP (as a Blob or File, also one inside a
 * list), the files themselves (a FileList or File array, e.g. a folder picked in a browser), or a
 * files map, returned as is. Needs no TF.js, so a page can read archives before loading it.
 */
export async function modelFilesOf(source: Blob | ArrayLike<File> | ModelFileMap): Promise<ModelFileMap> {
  if (source instanceof Blob) {
    const name = typeof File !== 'undefined' && source instanceof File ? source.name : 'the model archive';
    return stripFolders(await readZip(new Uint8Array(await source.arrayBuffer()), name));
  }
  const list = typeof FileList !== 'undefined' && source instanceof FileList ? [...source] : source;
  if (Array.isArray(list)) {
    if (list.length === 1 && /\.zip$/i.test(list[0]!.name)) return modelFilesOf(list[0]!);
    const out: ModelFileMap = {};
    for (const file of list) out[file.name] = new Uint8Array(await file.arrayBuffer());
    return out;
  }
  return source as ModelFileMap;
}

/** A ZIP of a folder (`graft-model/model.json`) reads like one of its files. */
function stripFolders(files: ModelFileMap): ModelFileMap {
  const json = Object.keys(files).find((n) => n === MODEL_FILES.json || n.endsWith(`/${MODEL_FILES.json}`));
  if (!json)
    throw new Error(`the archive has no ${MODEL_FILES.json}: it is not a model exported by Graft or TF.js`);
  const prefix = json.slice(0, json.length - MODEL_FILES.json.length);
  const out: ModelFileMap = {};
  for (const [name, data] of Object.entries(files))
    if (name.startsWith(prefix)) out[name.slice(prefix.length)] = data;
  return out;
}
