import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graft, readJson, tempDir, writeClassFolders } from './helpers.js';

let home: string;
let mounted = false;
let usable = true;
const data = tempDir('graft-ro-data-');

beforeAll(async () => {
  await writeClassFolders(data, { red: [200, 40, 40], blue: [40, 40, 200] }, 4, (i) => i * 6);
  home = tempDir('graft-ro-home-');
  // as root permissions do not bite: a read-only mount does; as a user, a folder without write access
  mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', home]).status === 0;
  if (!mounted) {
    if (process.getuid?.() === 0) usable = false;
    else chmodSync(home, 0o555);
  }
});

afterAll(() => {
  if (mounted) spawnSync('umount', [home]);
});

describe('a read-only cache (GRAFT_HOME)', () => {
  it('does not stop the bundled model: embed, train and predict run, each saying once what is not kept', async (ctx) => {
    if (!usable) {
      console.warn('skipped: running as root without the right to mount a read-only tmpfs');
      ctx.skip();
    }
    const env = { GRAFT_HOME: home };
    const embed = await graft(
      ['embed', join(data, 'red'), '--model', 'resnet50-mini-fashion', '--json'],
      env,
    );
    expect(embed.status).toBe(0);
    expect(JSON.parse(embed.stdout)).toHaveLength(4);
    expect(
      embed.stderr.match(/cannot keep the ONNX graph in .*onnx \(.*\): it is rebuilt each run/g),
    ).toHaveLength(1);

    const run = join(tempDir('graft-ro-run-'), 'run');
    const train = await graft(['train', data, '--model', 'resnet50-mini-fashion', '--out', run], env);
    expect(train.status).toBe(0);
    expect(train.stderr).toMatch(
      /warning: cannot keep backbone features in .*features \(.*\): the next run computes them again/,
    );
    expect(train.stderr.match(/cannot keep backbone features/g)).toHaveLength(1);
    expect(readJson(join(run, 'config.json')).finishedAt).toBeDefined();

    const predict = await graft(['predict', run, join(data, 'blue'), '--json'], env);
    expect(predict.status).toBe(0);
    expect(JSON.parse(predict.stdout).map((p: { label: string }) => p.label)).toEqual([
      'blue',
      'blue',
      'blue',
      'blue',
    ]);
    expect(existsSync(join(home, 'features'))).toBe(false);
  });

  it('refuses a download into it with a message that names the folder and the problem', async (ctx) => {
    if (!usable) ctx.skip();
    const r = await graft(['zoo', 'pull', 'resnet50'], {
      GRAFT_HOME: home,
      GRAFT_MIRROR: 'http://127.0.0.1:9/',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `graft: error: cannot download into the cache folder ${join(home, 'models', 'resnet50')}`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
