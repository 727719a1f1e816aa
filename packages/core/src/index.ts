/**
 * @graft/core — feature extraction and fine-tuning on TensorFlow.js, in Node, browsers and workers.
 * @packageDocumentation
 */
export {};
