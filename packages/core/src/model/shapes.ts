import { elementCount, inboundLayerNames } from '@graft/zoo';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Every layer's output shape (batch dimension first, null) for `[height, width]` inputs, also
 * when the model was built for any size (`[null, null, 3]`): shape inference layer by layer.
 */
export function outputShapesAt(
  model: tfl.LayersModel,
  inputSize: readonly [number, number],
): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const layer of model.layers) {
    const inbound = inboundLayerNames(layer);
    let shape: number[];
    if (inbound.length === 0) {
      const declared = layer.outputShape as (number | null)[];
      shape = [0, declared[1] ?? inputSize[0], declared[2] ?? inputSize[1], declared[3] ?? 3];
    } else {
      const ins = inbound.map((name) => [null, ...shapes.get(name)!.slice(1)]);
      const out = layer.computeOutputShape((ins.length === 1 ? ins[0] : ins) as never) as (number | null)[];
      shape = [0, ...out.slice(1).map((d) => d ?? 0)];
    }
    shapes.set(layer.name, shape);
  }
  return shapes;
}

/** Elements of one example's output of `layer` (its shape without the batch dimension). */
export function elementsPerExample(shape: readonly number[]): number {
  return elementCount(shape.slice(1));
}
