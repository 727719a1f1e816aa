/**
 * @graft/zoo — the model registry: architectures, weight sources, the Keras .h5 reader.
 * This entry is portable: no Node built-ins, no DOM.
 * @packageDocumentation
 */
export {};
