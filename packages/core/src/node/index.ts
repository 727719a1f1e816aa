/**
 * @graft/core in Node: everything of the shared entry, plus `file://` model folders
 * (`clf.save('file://./my-model')`, `loadClassifier('file://./my-model')`) without tfjs-node.
 * @packageDocumentation
 */
import { registerFileRouters } from './model-files.js';

export * from '../index.js';
export { fileLoadHandler, fileSaveHandler, registerFileRouters } from './model-files.js';

registerFileRouters();
