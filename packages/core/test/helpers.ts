import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildResNet50, getModel, type LoadedBackbone, loadWeightsFromKerasH5 } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import type { LabeledImage } from '../src/data/dataset.js';
import { Random } from '../src/util/random.js';

const zooFixtures = join(
  dirname(createRequire(import.meta.url).resolve('@graft/zoo/package.json')),
  'test',
  'fixtures',
);

/**
 * A thin ResNet50 (widths / 16, 32×32 inputs) with the zoo's calibrated fixture weights; with
 * `multiScale`, its features pool conv3, conv4 and conv5 as the bundled demo backbone's do.
 */
export function thinBackbone(size = 32, multiScale = false): LoadedBackbone {
  const model = buildResNet50({
    widthDivisor: 16,
    inputShape: [size, size, 3],
    multiScaleFeatures: multiScale ? ['conv3_block4_out', 'conv4_block6_out'] : undefined,
  });
  loadWeightsFromKerasH5(model, new Uint8Array(readFileSync(join(zooFixtures, 'resnet50_w16_notop.h5'))));
  const spec = {
    ...getModel('resnet50'),
    id: 'resnet50-w16-test',
    inputSize: [size, size] as [number, number],
    featureSize: multiScale ? (512 + 1024 + 2048) / 16 : 128,
    featureLayer: multiScale ? 'multiscale_features' : 'conv5_block3_out',
  };
  return { model, spec, includeTop: false, weights: { source: 'test fixture', id: 'w16-fixture' } };
}

export const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 200, 60],
  blue: [40, 60, 220],
};

/** Images whose class is their colour, with pixel noise. */
export function colourImages(
  perClass: number,
  seed: number,
  size = 32,
  classes = Object.keys(COLOURS),
): LabeledImage[] {
  const rng = new Random(seed);
  const out: LabeledImage[] = [];
  for (const label of classes) {
    const base = COLOURS[label]!;
    for (let n = 0; n < perClass; n++) {
      const pixels = new Uint8Array(size * size * 3);
      for (let i = 0; i < pixels.length; i++)
        pixels[i] = Math.max(0, Math.min(255, base[i % 3]! + rng.uniform(-60, 60)));
      out.push({ pixels, width: size, height: size, label, id: `${label}-${n}` });
    }
  }
  return out;
}

/** Every weight value of a model, copied. */
export function weightValues(model: {
  weights: { read(): tfc.Tensor; originalName: string }[];
}): Map<string, Float32Array> {
  return new Map(model.weights.map((w) => [w.originalName, w.read().dataSync().slice() as Float32Array]));
}

/** An in-memory save/load handler pair. */
export function memoryIO() {
  let artifacts: tfc.io.ModelArtifacts | undefined;
  return {
    save: tfc.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    load: () => tfc.io.fromMemory(artifacts!),
    get artifacts() {
      return artifacts;
    },
  };
}
