import { MODELS } from './models/index.js';
import type { ModelSpec } from './spec.js';

/**
 * Ids of the models the zoo ships, so that a typo shows in the editor; any other string is
 * accepted too, for models a host registers with {@link registerModel}.
 */
export type ModelId = ShippedModelId | (string & {});

/** The ids of the models the zoo ships. */
export type ShippedModelId = 'resnet50' | 'resnet50-mini-fashion';

const registry = new Map<string, ModelSpec>(MODELS.map((m) => [m.id, m]));

/** Every registered model, in registration order. */
export function listModels(): ModelSpec[] {
  return [...registry.values()];
}

/** The spec of a registered model; a clear error listing the known ids otherwise. */
export function getModel(id: ModelId): ModelSpec {
  const spec = registry.get(id);
  if (!spec) {
    throw new Error(`unknown model '${id}': the zoo has ${[...registry.keys()].join(', ')}`);
  }
  return spec;
}

/** Adds a model (for a host app's own backbones). Re-registering an id replaces it. */
export function registerModel(spec: ModelSpec): void {
  registry.set(spec.id, spec);
}
