import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { graft, tempDir, w16, writeClassFolders } from './helpers.js';

describe('what a user meets around the main commands', () => {
  it('classify on a model without a top says what to use instead, as a usage error', async () => {
    const r = await graft(['classify', '--model', 'resnet50-mini-fashion', 'photo.png'], {
      GRAFT_HOME: tempDir('graft-home-'),
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'graft: error: resnet50-mini-fashion has no classifier of its own to classify with (its weights come without the top): use a model with one, e.g. --model resnet50',
    );
    expect(r.stderr).not.toContain('includeTop');
  });

  it('a missing required option of a subcommand exits 2, as other bad usage does', async () => {
    const r = await graft(['zoo', 'export', 'resnet50-mini-fashion'], { GRAFT_HOME: tempDir('graft-home-') });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("required option '--out <dir>' not specified");
  });

  it('evaluate shows whole class names in the confusion matrix and no top-k that is 100% by definition', async () => {
    const dir = tempDir('graft-eval-');
    const data = join(dir, 'data');
    await writeClassFolders(
      data,
      { 'ankle-boot-long': [220, 40, 40], sneaker: [40, 60, 220] },
      4,
      (i) => i * 5,
    );
    const env = { GRAFT_HOME: join(dir, 'home') };
    const out = join(dir, 'run');
    const args = ['train', data, '--model', 'thin16', '--weights', w16, '--image-size', '32', '--out', out];
    expect((await graft([...args, '--epochs', '1'], env)).status).toBe(0);
    const r = await graft(['evaluate', out, data], env);
    expect(r.status).toBe(0);
    const header = r.stdout.split('\n').find((l) => l.includes('sneaker') && l.includes('ankle'));
    expect(header).toMatch(/ankle-boot-long +sneaker$/);
    expect(r.stdout).not.toMatch(/top-2/);
  });

  it('--image-size builds the demo backbone at that size, and a size it cannot take is refused before any run folder', async () => {
    const dir = tempDir('graft-size-');
    const data = join(dir, 'data');
    await writeClassFolders(data, { red: [220, 40, 40], blue: [40, 60, 220] }, 3, (i) => i * 5);
    const env = { GRAFT_HOME: join(dir, 'home') };
    const train = (size: string, out: string) =>
      graft(
        [
          'train',
          data,
          '--model',
          'resnet50-mini-fashion',
          '--image-size',
          size,
          '--epochs',
          '1',
          '--out',
          out,
        ],
        env,
      );
    const ok = await train('48', join(dir, 'run48'));
    expect(ok.stderr).not.toContain('expected input');
    expect(ok.status).toBe(0);
    const predicted = await graft(['predict', join(dir, 'run48'), join(data, 'red'), '--json'], env);
    expect(predicted.status).toBe(0);
    const small = await train('16', join(dir, 'run16'));
    expect(small.status).toBe(2);
    expect(small.stderr).toContain("graft: error: --image-size must be at least 32, got '16'");
    expect(existsSync(join(dir, 'run16'))).toBe(false);
  });

  it('train, embed and classify take --mirror and name the URL they could not download', async () => {
    const dir = tempDir('graft-mirror-');
    const data = join(dir, 'data');
    await writeClassFolders(data, { red: [220, 40, 40], blue: [40, 60, 220] }, 2, (i) => i * 5);
    const env = { GRAFT_HOME: join(dir, 'home') };
    const mirror = 'http://127.0.0.1:9/weights'; // the discard port: nothing listens
    const runs = await Promise.all([
      graft(['train', data, '--model', 'resnet50', '--mirror', mirror, '--out', join(dir, 'run')], env),
      graft(['embed', join(data, 'red'), '--model', 'resnet50', '--engine', 'tfjs', '--mirror', mirror], env),
      graft(['classify', join(data, 'red', '0.png'), '--model', 'resnet50', '--mirror', mirror], env),
    ]);
    for (const r of runs) {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`GET ${mirror}/resnet50_weights_tf_dim_ordering_tf_kernels(_notop)?\\.h5: fetch failed`),
      );
      expect(r.stderr).not.toContain('unknown option');
    }
    // the failed download left no run folder for --resume or predict to trip on
    expect(existsSync(join(dir, 'run', 'config.json'))).toBe(false);
  });
});
