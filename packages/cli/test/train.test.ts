import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { graft, readJson, readJsonLines, tempDir, w16, writeClassFolders, writeImage } from './helpers.js';

const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 200, 60],
  blue: [40, 60, 220],
};
const BASE = [
  '--model',
  'thin16',
  '--weights',
  w16,
  '--image-size',
  '32',
  '--backend',
  'wasm',
  '--seed',
  '1',
];

/** A class-folder data set of noisy solid colours, with the oddities users' folders have. */
async function makeDataset(root: string, perClass = 8) {
  await writeClassFolders(root, COLOURS, perClass, (i) => (i * 13) % 20);
  await writeImage(join(root, 'red', 'café ☕.jpg'), [230, 30, 30], 40, 'jpeg'); // unicode name, other size, JPEG
  const gray = Buffer.alloc(32 * 32, 90);
  await sharp(gray, { raw: { width: 32, height: 32, channels: 1 } })
    .png()
    .toFile(join(root, 'green', 'gray.png'));
  const rgba = Buffer.alloc(32 * 32 * 4).map((_, i) => (i % 4 === 3 ? 128 : [40, 60, 220][i % 4]!));
  await sharp(rgba, { raw: { width: 32, height: 32, channels: 4 } })
    .png()
    .toFile(join(root, 'blue', 'alpha.png'));
  writeFileSync(join(root, 'blue', 'empty.png'), '');
  writeFileSync(join(root, 'green', 'notes.jpg'), 'not a jpeg');
  writeFileSync(join(root, 'red', '.hidden.png'), 'hidden');
  writeFileSync(join(root, 'red', 'readme.txt'), 'text');
  symlinkSync(join(root, 'red'), join(root, 'red', 'loop'));
}

let data: string;
let home: string;

beforeAll(async () => {
  const dir = tempDir('graft-train-');
  data = join(dir, 'data');
  home = join(dir, 'home');
  await makeDataset(data);
});

describe('graft train', () => {
  it('writes a complete run folder and report, skipping bad files with reasons', async () => {
    const out = join(tempDir(), 'run');
    const r = await graft(['train', data, ...BASE, '--out', out], { GRAFT_HOME: home });
    expect(r.stderr).toMatch(/graft: backend wasm; frozen backbone on onnxruntime-node [^;]+; model thin16/);
    expect(r.stderr).toMatch(/graft: 27 images in 3 classes \(blue 9, green 9, red 9\)/);
    // what the folder walk passed over because it is broken is listed, not only counted
    expect(r.stderr).toContain(
      `graft: warning: skipped ${join(data, 'red', 'loop')}: a link back to a folder already read`,
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^validation accuracy \d+\.\d% on \d+ images$/m);
    // the head is solved, not trained for epochs: one line says how its L2 strength was chosen
    expect(r.stderr).toMatch(
      /graft: head solved to optimum \(L-BFGS, \d+ iterations\): L2 strength [\d.e+-]+ chosen on the validation set \(accuracy \d+\.\d%\)/,
    );
    expect(r.stderr).toMatch(/feature-extraction head solved \(L2 [\d.e+-]+\): loss/);
    expect(r.stdout).toContain(`run folder: ${out}`);

    const config = readJson(join(out, 'config.json'));
    expect(config).toMatchObject({
      strategy: 'feature-extraction',
      model: 'thin16',
      head: 'auto',
      imageSize: [32, 32],
      backend: 'wasm',
      engine: 'onnx',
      seed: 1,
      stopReason: 'completed',
    });
    expect(config.versions.tfjs).toBe('4.22.0');

    const dataJson = readJson(join(out, 'data.json'));
    expect(dataJson.files).toHaveLength(27);
    expect(dataJson.files.every((f: { sha256: string }) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    const validation = dataJson.files.filter((f: { split: string }) => f.split === 'validation');
    expect(validation.length).toBeGreaterThanOrEqual(3);
    const reasons = Object.fromEntries(
      dataJson.skipped.map((s: { path: string; reason: string }) => [
        s.path.slice(data.length + 1),
        s.reason,
      ]),
    );
    expect(reasons['blue/empty.png']).toBe('is empty (0 bytes)');
    expect(reasons['green/notes.jpg']).toMatch(/is not an image/);
    expect(reasons['red/.hidden.png']).toBe('hidden');
    expect(reasons['red/readme.txt']).toBe('not an image file name');
    expect(reasons['red/loop']).toMatch(/link loop/);

    const metrics = readJsonLines(join(out, 'metrics.jsonl'));
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ phase: 'feature-extraction', epoch: 1 });
    expect(typeof metrics[0].l2).toBe('number');
    expect(typeof metrics[0].val_accuracy).toBe('number');
    for (const f of [
      'model/model.json',
      'model/weights.bin',
      'model/graft.json',
      'checkpoints/latest/model.json',
      'checkpoints/best/model.json',
      'evaluation.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // the frozen backbone is written once: every later checkpoint links the same file
    const latestBackbone = statSync(join(out, 'checkpoints/latest/backbone.bin'));
    expect(statSync(join(out, 'checkpoints/best/backbone.bin')).ino).toBe(latestBackbone.ino);
    expect(latestBackbone.nlink).toBe(2);
    expect(statSync(join(out, 'checkpoints/latest/weights.bin')).size).toBeLessThan(latestBackbone.size / 10);
    const fromCheckpoint = await graft(['predict', join(out, 'checkpoints/latest'), data, '--json'], {
      GRAFT_HOME: home,
    });
    const fromModel = await graft(['predict', out, data, '--json'], { GRAFT_HOME: home });
    expect(fromCheckpoint.stdout).toBe(fromModel.stdout);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    for (const text of [
      'Training curves',
      '<svg',
      'Confusion matrix',
      'Per class',
      'Most confidently wrong',
      'empty.png',
      '&quot;strategy&quot;: &quot;feature-extraction&quot;',
    ]) {
      expect(report, text).toContain(text);
    }
    // a second run on the same images does not run the backbone
    const again = await graft(['train', data, ...BASE, '--epochs', '1', '--out', join(tempDir(), 'run2')], {
      GRAFT_HOME: home,
    });
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/backbone ran on 0 image\(s\); 27 feature vector\(s\) came from the cache/);
  });

  it('gives predictions on an exported model that agree with evaluate', async () => {
    const out = join(tempDir(), 'run');
    expect(
      (
        await graft(['train', data, ...BASE, '--epochs', '8', '--lr', '0.01', '--out', out], {
          GRAFT_HOME: home,
        })
      ).status,
    ).toBe(0);
    const exported = join(tempDir(), 'exported');
    expect((await graft(['export', out, '--out', exported])).status).toBe(0);
    expect(readJson(join(exported, 'graft.json')).labels).toEqual(['blue', 'green', 'red']);
    const evaluation = await graft(['evaluate', out, data, '--json', '--backend', 'cpu']);
    const report = JSON.parse(evaluation.stdout);
    const predicted = await graft(['predict', exported, data, '--json', '--backend', 'cpu']);
    const rows = JSON.parse(predicted.stdout) as { file: string; label: string }[];
    expect(rows).toHaveLength(report.examples);
    const correct = rows.filter((r) => r.file.split('/').at(-2) === r.label).length;
    expect(correct / rows.length).toBeCloseTo(report.accuracy, 10);
    expect(predicted.status).toBe(1); // the folder holds unreadable files: predicted the rest, said so
    expect(predicted.stderr).toContain('skipped');
  });

  it('prints only JSON events on stdout with --json, ending with the summary', async () => {
    const r = await graft(
      ['train', data, ...BASE, '--head', 'sgd', '--epochs', '2', '--json', '--out', join(tempDir(), 'run')],
      { GRAFT_HOME: home },
    );
    expect(r.status).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(2);
    expect(
      events.some(
        (e) =>
          e.type === 'batch' && typeof e.imagesPerSecond === 'number' && typeof e.etaSeconds === 'number',
      ),
    ).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'done', stopReason: 'completed' });
  });

  it('fine-tunes in two phases from the command line', async () => {
    const out = join(tempDir(), 'run');
    const r = await graft(
      [
        'train',
        data,
        ...BASE,
        '--strategy',
        'fine-tune',
        '--freeze',
        'conv4_block6_out',
        '--head-epochs',
        '1',
        '--epochs',
        '1',
        '--batch-size',
        '9',
        '--out',
        out,
      ],
      { GRAFT_HOME: home },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /graft: frozen-layer outputs computed once and kept in memory \(\d+ MB as float32\)/,
    );
    const phases = readJsonLines(join(out, 'metrics.jsonl')).map((m) => m.phase);
    expect(phases).toEqual(['head', 'fine-tune']);
    expect(readJson(join(out, 'model', 'graft.json'))).toMatchObject({
      strategy: 'fine-tune',
      freeze: 143,
    }); // model.layers[142] is conv4_block6_out, as in Keras;
  });
});

describe('graft train refuses what cannot be trained on, before any compute', () => {
  it('a missing folder, one class, a class with no images', async () => {
    const missing = await graft(['train', '/no/such/folder', ...BASE]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('graft: error: /no/such/folder: no such file or folder');

    const one = tempDir();
    mkdirSync(join(one, 'only'), { recursive: true });
    await writeImage(join(one, 'only', 'a.png'), [1, 2, 3]);
    const r1 = await graft(['train', one, ...BASE]);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(/has only one class \(only\): a classifier needs at least two/);

    mkdirSync(join(one, 'empty'));
    writeFileSync(join(one, 'empty', 'x.txt'), 'x');
    const r2 = await graft(['train', one, ...BASE]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(`class folder ${join(one, 'empty')} has no images`);
    expect(r2.stderr).not.toContain('backend');
  });

  it('--strict stops at the first bad entry or image, naming it; a too-large image is skipped', async () => {
    const r = await graft(['train', data, ...BASE, '--strict']);
    expect(r.status).toBe(1);
    // the folder walk's findings come first: the data set has a link loop
    expect(r.stderr).toMatch(
      /graft: error: .*red\/loop: a link back to a folder already read \(link loop\) \(--strict stops at the first bad entry\)/,
    );
    const clean = tempDir('graft-strict-');
    await makeDataset(clean, 3);
    rmSync(join(clean, 'red', 'loop'));
    const r2 = await graft(['train', clean, ...BASE, '--strict']);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(
      /graft: error: .*empty\.png: is empty \(0 bytes\) \(--strict stops at the first bad image\)/,
    );
    const limited = await graft(
      ['train', data, ...BASE, '--max-pixels', '1500', '--epochs', '1', '--out', join(tempDir(), 'run')],
      { GRAFT_HOME: home },
    );
    expect(limited.stderr).toMatch(/café ☕\.jpg: is larger than the limit of 1500 pixels/);
    expect(limited.status).toBe(0);
  });

  it('refuses a --out that holds a run unless --resume or --overwrite, and one another graft train is writing', async () => {
    const out = join(tempDir(), 'run');
    const first = await graft(['train', data, ...BASE, '--out', out], { GRAFT_HOME: home });
    expect(first.status).toBe(0);
    const model = readFileSync(join(out, 'model', 'weights.bin'));
    const again = await graft(['train', data, ...BASE, '--out', out], { GRAFT_HOME: home });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(
      `${out} already holds a run: pass --resume to continue it, --overwrite to replace it`,
    );
    expect(readFileSync(join(out, 'model', 'weights.bin'))).toEqual(model); // nothing lost
    expect(existsSync(join(out, 'train.lock'))).toBe(false);

    const replaced = await graft(
      ['train', data, ...BASE, '--out', out, '--overwrite', '--head', 'sgd', '--epochs', '2'],
      {
        GRAFT_HOME: home,
      },
    );
    expect(replaced.status).toBe(0);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);

    const busy = join(tempDir(), 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'train.lock'), JSON.stringify({ pid: process.pid, host: hostname() }));
    const blocked = await graft(['train', data, ...BASE, '--out', busy], { GRAFT_HOME: home });
    expect(blocked.status).toBe(2);
    expect(blocked.stderr).toContain(`${busy} is in use by another graft train (pid ${process.pid}`);
    writeFileSync(join(busy, 'train.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() })); // dead
    expect((await graft(['train', data, ...BASE, '--out', busy], { GRAFT_HOME: home })).status).toBe(0);
  });

  it('trains on one image per class: no validation to hold out, said up front, and no half-made run', async () => {
    const tiny = tempDir('graft-tiny-');
    for (const [label, rgb] of Object.entries(COLOURS)) {
      mkdirSync(join(tiny, label));
      await writeImage(join(tiny, label, 'only.png'), rgb, 32);
    }
    const out = join(tempDir(), 'run');
    const r = await graft(['train', tiny, ...BASE, '--out', out], { GRAFT_HOME: home });
    expect(r.stderr).toContain('one image per class leaves none for validation');
    expect(r.stderr).toMatch(/L2 strength 10 the strongest of the grid/);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'model', 'model.json'))).toBe(true);
    expect(existsSync(join(out, 'checkpoints', 'best', 'model.json'))).toBe(true);
    const stop = await graft(['train', tiny, ...BASE, '--early-stop', '2', '--out', join(tempDir(), 'r')], {
      GRAFT_HOME: home,
    });
    expect(stop.status).toBe(2);
    expect(stop.stderr).toContain('--early-stop watches val_loss, but there are no validation images');
  });

  it('exits 2 on bad flags', async () => {
    for (const [flags, message] of [
      [['--val-split', '2'], '--val-split must be a fraction between 0 and 1'],
      [['--strategy', 'magic'], '--strategy must be one of feature-extraction, fine-tune'],
      [['--freeze', '10'], '--freeze, --head-epochs and --lr-mult are for --strategy fine-tune'],
      [['--epochs', 'x'], '--epochs must be a whole number ≥ 1'],
      [['--workers', 'many'], "--workers must be auto or a whole number, got 'many'"],
      [['--head', 'exact'], '--head must be one of auto, probe, sgd'],
      [
        ['--head', 'probe', '--augment'],
        '--head probe solves a head on fixed features: with --augment use --head sgd',
      ],
      [['--head', 'sgd', '--l2', '0.1'], '--l2 is for the probe head'],
      [['--l2', '-1'], "--l2 must be a number ≥ 0, got '-1'"],
      [['--resume', '--overwrite', '--out', 'runs/x'], 'give either --resume or --overwrite, not both'],
    ] as const) {
      const r = await graft(['train', data, ...flags]);
      expect(r.status, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
