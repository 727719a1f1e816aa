/**
 * @graft/core — feature extraction and fine-tuning on TensorFlow.js, in Node, browsers and workers.
 * @packageDocumentation
 */
export { toInputBatch } from './data/batch.js';
export { assertRgbImage, type RgbImage } from './data/image.js';
export { createFeatureExtractor, type FeatureExtractor, type FeatureExtractorOptions } from './features.js';
