import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs a module in a fresh Node process (no backend registered unless it imports one). */
function run(source: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    encoding: 'utf8',
    env: { ...process.env, GRAFT_OFFLINE: '1' },
    cwd: here, // resolves @graft/zoo (built) and the tfjs packages as an app would
  });
}

describe('loadBackbone and the host app’s backend', () => {
  it('waits for the wasm backend imported just before (the README snippet: no "await tf.ready()")', () => {
    const r = run(
      `import '@tensorflow/tfjs-backend-wasm'; const { loadBackbone } = await import('@graft/zoo');
       const { model } = await loadBackbone('resnet50-mini-fashion'); console.log('layers', model.layers.length);`,
    );
    expect(r.stderr).not.toMatch(/not yet been initialized|Error/);
    expect(r.stdout).toMatch(/layers \d+/);
  });

  it('names the packages to install when no backend is registered', () => {
    const r = run(
      `const { loadBackbone } = await import('@graft/zoo'); await loadBackbone('resnet50-mini-fashion');`,
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no TensorFlow\.js backend could start .*@tensorflow\/tfjs-backend-wasm/);
  });
});
