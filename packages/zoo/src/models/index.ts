import type { ModelSpec } from '../spec.js';
import { resnet50 } from './resnet50.js';
import { resnet50MiniFashion } from './resnet50-mini-fashion.js';

/** The built-in zoo. A new model is one file in this folder and one entry here. */
export const MODELS: readonly ModelSpec[] = [resnet50, resnet50MiniFashion];
