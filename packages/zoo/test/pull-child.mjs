// A second process for the concurrent-pull test: pulls one file into a cache and prints its path.
import { ensureWeightFile, env } from '@graft/zoo';

const [cacheDir, fileJson] = process.argv.slice(2);
env.cacheDir = cacheDir;
const file = JSON.parse(fileJson);
const path = await ensureWeightFile({ id: 'test-w64', weights: {} }, file, {
  retryDelayMs: 5,
  lockStaleMs: 10_000,
  onWait: () => console.error('waited for another process'),
});
console.log(path);
