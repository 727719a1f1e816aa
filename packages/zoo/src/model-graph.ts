import type { LayersModel } from '@tensorflow/tfjs-layers';

type LayerInternals = { inboundNodes: { inboundLayers: { name: string }[] }[] };

/** The names of the layers a layer reads from (its first call's inputs). */
export function inboundLayerNames(layer: LayersModel['layers'][number]): string[] {
  return (layer as unknown as LayerInternals).inboundNodes[0]?.inboundLayers.map((l) => l.name) ?? [];
}

/** The names of every layer `outputs` depend on, themselves included. */
export function layersFeeding(model: LayersModel, outputs: readonly string[]): Set<string> {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const needed = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`the model has no layer named '${name}'`);
    needed.add(name);
    stack.push(...inboundLayerNames(layer));
  }
  return needed;
}
