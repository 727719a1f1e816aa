// The page script of the browser test: the browser entry of @graft/zoo, bundled as a host app would.
import '@tensorflow/tfjs-backend-cpu';
import * as tfc from '@tensorflow/tfjs-core';
import {
  BROWSER_CACHE_NAME,
  buildResNet50,
  getModel,
  loadBackbone,
  registerModel,
} from '../../src/browser/index.js';

registerModel({
  ...getModel('resnet50'),
  id: 'test-w64',
  build: (o) => buildResNet50({ ...o, widthDivisor: 64 }),
  featureSize: 32,
});

async function features(modelUrl: string) {
  await tfc.setBackend('cpu');
  const before = tfc.memory().numTensors;
  const { model, weights } = await loadBackbone('test-w64', { modelUrl });
  const x = tfc.tidy(() => tfc.mul(tfc.ones([1, 48, 48, 3]), 100));
  const y = model.predict(x) as tfc.Tensor;
  const values = Array.from(await y.data());
  tfc.dispose([x, y]);
  model.dispose();
  return { source: weights.source, values, leaked: tfc.memory().numTensors - before };
}

async function corruptCachedShard(url: string) {
  const cache = await caches.open(BROWSER_CACHE_NAME);
  const keys = (await cache.keys()).map((r) => r.url).filter((u) => u.startsWith(url) && u.endsWith('.bin'));
  for (const key of keys) await cache.put(key, new Response(new Uint8Array([1, 2, 3])));
  return keys.length;
}

Object.assign(globalThis, { graftTest: { features, corruptCachedShard } });
document.title = 'ready';
