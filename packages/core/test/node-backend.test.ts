import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, selectBackend } from '../src/node/backend.js';

describe('selectBackend (Node)', () => {
  it('starts a backend asked for by name, and auto picks the fastest installed one', async () => {
    expect(await selectBackend('cpu')).toEqual({
      choice: 'cpu',
      pkg: '@tensorflow/tfjs-backend-cpu',
      tfName: 'cpu',
    });
    expect(tfc.getBackend()).toBe('cpu');
    // tfjs-node cannot be installed here: auto goes on to wasm
    expect((await selectBackend('auto')).choice).toBe('wasm');
    expect(tfc.getBackend()).toBe('wasm');
  });

  it('names the package to install for a backend that is missing, and refuses unknown ones', async () => {
    const missing = selectBackend('tensorflow-gpu');
    await expect(missing).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(missing).rejects.toThrow(
      "backend 'tensorflow-gpu' is not available: @tensorflow/tfjs-node-gpu is not installed. Install it with `npm install @tensorflow/tfjs-node-gpu` (or pick another backend).",
    );
    await expect(selectBackend('metal' as never)).rejects.toThrow(
      "unknown backend 'metal': use one of auto, tensorflow-gpu, tensorflow, wasm, cpu",
    );
  });
});
