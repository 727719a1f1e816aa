import type { LoadBackboneOptions } from '../load-backbone.js';
import { getModel } from '../registry.js';
import { ZOO_VERSION } from '../version.js';
import { convertModel } from '../weights/converted.js';
import { writeConvertedFolder } from './converted-store.js';
import { loadBackbone } from './load.js';

/**
 * Writes a zoo model with its weights as a self-contained TF.js layers folder (model.json, shards,
 * graft-backbone.json with a SHA-256 per shard) for a web app to host (`graft zoo export`).
 * The input shape is the model's default: open for resnet50 without the top (the web side picks
 * its own size), fixed for models built at one size.
 */
export async function exportBackbone(
  id: string,
  outDir: string,
  options: LoadBackboneOptions = {},
): Promise<string> {
  const spec = getModel(id);
  const { model, includeTop, weights } = await loadBackbone(id, options);
  try {
    const files = await convertModel(
      model,
      {
        model: spec.id,
        includeTop,
        preprocessing: spec.preprocessing,
        source: {
          fileName: weights.source,
          md5: /^[0-9a-f]{32}$/.test(weights.id) ? weights.id : undefined,
          sha256: /^[0-9a-f]{64}$/.test(weights.id) ? weights.id : undefined,
        },
      },
      `@graft/zoo ${ZOO_VERSION}`,
    );
    await writeConvertedFolder(outDir, files);
    return outDir;
  } finally {
    model.dispose();
  }
}
