/**
 * A model folder: `model.json`, `weights.bin`, and `graft.json` (the manifest, for people and
 * tools). A module of its own, with no tfjs import, so that a page script can name the files
 * without bundling tfjs.
 */
export const MODEL_FILES = { json: 'model.json', weights: 'weights.bin', manifest: 'graft.json' } as const;
