import { MODELS } from './models/index.js';
import type { ModelSpec } from './spec.js';

const registry = new Map<string, ModelSpec>(MODELS.map((m) => [m.id, m]));

/** Every registered model, in registration order. */
export function listModels(): ModelSpec[] {
  return [...registry.values()];
}

/** The spec of a registered model; a clear error listing the known ids otherwise. */
export function getModel(id: string): ModelSpec {
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
