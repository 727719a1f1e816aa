import { cpSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { graft, readJson, readJsonLines, tempDir, w16, writeClassFolders } from './helpers.js';

describe('--resume after a crash inside a checkpoint save', () => {
  it('takes the complete copy a crash between the two renames left, and logs each epoch once', async () => {
    const dir = tempDir('graft-recover-');
    const data = join(dir, 'data');
    await writeClassFolders(data, { red: [220, 40, 40], blue: [40, 60, 220] }, 6, (i) => i * 3);
    const env = { GRAFT_HOME: join(dir, 'home') };
    const out = join(dir, 'run');
    const args = ['train', data, '--model', 'thin16', '--weights', w16, '--image-size', '32'];
    const first = await graft(
      [...args, '--head', 'sgd', '--epochs', '3', '--backend', 'wasm', '--out', out],
      env,
    );
    expect(first.status).toBe(0);
    // as kill -9 in the middle of the last epoch's save leaves it: not finished, `latest` moved
    // aside and its new copy complete but not yet renamed into place
    const config = readJson(join(out, 'config.json'));
    delete config.finishedAt;
    writeFileSync(join(out, 'config.json'), JSON.stringify(config));
    const checkpoints = join(out, 'checkpoints');
    renameSync(join(checkpoints, 'latest'), join(checkpoints, 'latest.old-99-crash'));
    cpSync(join(checkpoints, 'latest.old-99-crash'), join(checkpoints, 'latest.tmp-99-crash'), {
      recursive: true,
    });

    const resumed = await graft(['train', data, '--out', out, '--resume'], env);
    expect(resumed.stderr).toContain(`${join(checkpoints, 'latest')} restored from latest.tmp-99-crash`);
    expect(resumed.stderr).not.toContain('no usable checkpoint');
    expect(resumed.status).toBe(0);
    expect(readdirSync(checkpoints).sort()).toEqual(['best', 'latest']);
    const epochs = readJsonLines(join(out, 'metrics.jsonl')).map((m) => `${m.phase}:${m.epoch}`);
    expect(new Set(epochs).size).toBe(epochs.length);
    expect(readFileSync(join(out, 'model', 'model.json'), 'utf8')).toContain('"graft"');
  });
});
