import { describe, expect, it } from 'vitest';
import { selectEngine } from '../src/runtime/engine.js';

const wasm = { choice: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' } as const;
const missing = async () => 'onnxruntime-node is not installed';

describe('the engine for frozen backbones', () => {
  it('says once, on a warning, that ONNX Runtime is missing, how much faster it is and how to install it', async () => {
    const warnings: string[] = [];
    const engine = await selectEngine('auto', wasm, '/tmp/graft-home', (m) => warnings.push(m), missing);
    expect(engine.engine).toBe('tfjs');
    expect(warnings).toEqual([
      'onnxruntime-node is not installed, so frozen backbones run in tfjs; ONNX Runtime runs them about 12× faster on a CPU (BENCHMARKS.md). Install it with `npm install -g @graft/cli --onnxruntime-node-install=skip` (in a project: `npm install onnxruntime-node`)',
    ]);
  });

  it('is quiet when tfjs is asked for, or runs on a GPU; --engine onnx without it is a usage error', async () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    await selectEngine('tfjs', wasm, '/tmp/graft-home', warn, missing);
    await selectEngine('auto', { ...wasm, choice: 'tensorflow-gpu' }, '/tmp/graft-home', warn, missing);
    expect(warnings).toEqual([]);
    await expect(selectEngine('onnx', wasm, '/tmp/graft-home', warn, missing)).rejects.toThrow(
      '--engine onnx: onnxruntime-node is not installed; install it with',
    );
  });
});
