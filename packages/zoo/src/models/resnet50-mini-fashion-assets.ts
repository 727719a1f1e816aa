/**
 * `import '@graft/zoo/demo-assets'` once in an app built with a bundler (Vite, webpack 5): the
 * demo backbone's files are named here as literal `new URL('…', import.meta.url)`s, the pattern
 * bundlers follow, so they are emitted with the app (under hashed names) and
 * `loadBackbone('resnet50-mini-fashion')` reads them from there. Without a bundler nothing is
 * needed: the files are found beside the package.
 * @packageDocumentation
 */
import { getModel } from '../registry.js';
import type { BundledWeightsSpec } from '../spec.js';

const bundled = getModel('resnet50-mini-fashion').weights['fashion-a']?.bundled as BundledWeightsSpec;
(bundled as { files?: BundledWeightsSpec['files'] }).files = {
  'graft-backbone.json': new URL('../../assets/resnet50-mini-fashion/graft-backbone.json', import.meta.url)
    .href,
  'model.json': new URL('../../assets/resnet50-mini-fashion/model.json', import.meta.url).href,
  'group1-shard1of1.bin': new URL('../../assets/resnet50-mini-fashion/group1-shard1of1.bin', import.meta.url)
    .href,
};
