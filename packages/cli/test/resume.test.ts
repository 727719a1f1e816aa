import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { graft, readJson, readJsonLines, spawnGraft, tempDir, w16, writeClassFolders } from './helpers.js';

const dataset = (root: string) =>
  writeClassFolders(root, { red: [220, 40, 40], blue: [40, 60, 220] }, 10, (i) => i * 3);

/** Runs graft train with --json and sends Ctrl-C once `when` sees an event. */
function trainAndInterrupt(
  args: string[],
  env: Record<string, string>,
  when: (event: { type: string; phase?: string; epoch?: number }) => boolean,
) {
  return new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawnGraft(args, env);
    let buffer = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      buffer += d;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (!sent && when(JSON.parse(line))) {
          sent = true;
          child.kill('SIGINT');
        }
      }
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('Ctrl-C and --resume', () => {
  it('stops at a batch boundary with exit 130 and resumes to the same model as an uninterrupted run', async () => {
    const dir = tempDir('graft-resume-');
    const data = join(dir, 'data');
    await dataset(data);
    const env = { GRAFT_HOME: join(dir, 'home') };
    const args = (out: string) => [
      'train',
      data,
      '--model',
      'thin16',
      '--weights',
      w16,
      '--image-size',
      '32',
      '--backend',
      'wasm',
      '--seed',
      '4',
      '--strategy',
      'fine-tune',
      '--freeze',
      'conv4_block6_out',
      '--head',
      'sgd',
      '--head-epochs',
      '2',
      '--epochs',
      '4',
      '--batch-size',
      '4',
      '--json',
      '--out',
      out,
    ];

    const whole = join(dir, 'whole');
    expect((await graft(args(whole), env)).status).toBe(0);

    const broken = join(dir, 'broken');
    const stopped = await trainAndInterrupt(
      args(broken),
      env,
      (e) => e.type === 'epoch' && e.phase === 'fine-tune' && e.epoch === 1,
    );
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toContain('graft: interrupted — finishing the current batch');
    expect(stopped.stderr).toContain(`graft: continue with: graft train ${data} --out ${broken} --resume`);
    const config = readJson(join(broken, 'config.json'));
    expect(config.interruptedAt).toBeDefined();
    const early = await graft(['predict', broken, data], env);
    expect(early.status).toBe(1);
    expect(early.stderr).toContain(
      `${broken} is a run that did not finish (no model/ yet): use its last checkpoint, ${join(broken, 'checkpoints', 'latest')}`,
    );

    const resumed = await graft(['train', data, '--out', broken, '--resume', '--json'], env);
    expect(resumed.stderr).toMatch(/graft: resuming .* from fine-tune epoch [12]/);
    expect(resumed.status).toBe(0);
    expect(readFileSync(join(broken, 'model', 'weights.bin'))).toEqual(
      readFileSync(join(whole, 'model', 'weights.bin')),
    );
    const epochs = readJsonLines(join(broken, 'metrics.jsonl')).map((m) => `${m.phase}:${m.epoch}`);
    expect(epochs).toEqual(['head:1', 'head:2', 'fine-tune:1', 'fine-tune:2', 'fine-tune:3', 'fine-tune:4']);
  });

  it('refuses to resume a run trained on other data, or one that finished', async () => {
    const dir = tempDir('graft-resume-');
    const data = join(dir, 'data');
    await dataset(data);
    const out = join(dir, 'run');
    const env = { GRAFT_HOME: join(dir, 'home') };
    expect(
      (
        await graft(
          [
            'train',
            data,
            '--model',
            'thin16',
            '--weights',
            w16,
            '--image-size',
            '32',
            '--epochs',
            '1',
            '--out',
            out,
          ],
          env,
        )
      ).status,
    ).toBe(0);
    const other = await graft(['train', join(dir, 'elsewhere'), '--out', out, '--resume'], env);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(
      `was trained on ${data}, not ${join(dir, 'elsewhere')}: resume with the same data`,
    );
    const done = await graft(['train', data, '--out', out, '--resume'], env);
    expect(done.status).toBe(2);
    expect(done.stderr).toContain('there is nothing to resume');
    const none = await graft(['train', data, '--resume'], env);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--resume needs --out <run folder>');
  });
});
