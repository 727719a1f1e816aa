import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFeatureExtractor } from '@graft/core';
import { decodeImageFile } from '@graft/core/advanced';
import { buildResNet50, loadWeightsFromKerasH5 } from '@graft/zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, graft, plugin, tempDir, w16, writeImage, zooFixtures } from './helpers.js';

let dir: string;
let red: string;
let blue: string;

beforeAll(async () => {
  dir = tempDir();
  red = await writeImage(join(dir, 'red.png'), [250, 10, 10]);
  blue = await writeImage(join(dir, 'blue ünï.jpg'), [10, 10, 240], 80, 'jpeg');
  writeFileSync(join(dir, 'notes.jpg'), 'this is text, not a JPEG');
});

describe('graft embed', () => {
  it('prints one JSON array of { file, features } and nothing else on stdout, equal to the library', async () => {
    const r = await graft([
      'embed',
      red,
      blue,
      '--model',
      'thin16',
      '--weights',
      w16,
      '--image-size',
      '64',
      '--json',
      '--backend',
      'cpu',
    ]);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { file: string; features: number[] }[];
    expect(rows.map((x) => x.file)).toEqual([red, blue]);
    expect(rows[0]!.features).toHaveLength(128);
    expect(r.stderr).toMatch(/graft: backend cpu/);

    await tfc.setBackend('cpu');
    const model = buildResNet50({ widthDivisor: 16 });
    loadWeightsFromKerasH5(model, new Uint8Array(readFileSync(w16)));
    const extractor = createFeatureExtractor(
      { model, spec: { ...(await import('@graft/zoo')).getModel('resnet50') } },
      { inputSize: [64, 64] },
    );
    const [expected] = await extractor.extract([await decodeImageFile(red)]);
    for (const [i, v] of rows[0]!.features.entries()) expect(v).toBeCloseTo(expected![i]!, 4);
    model.dispose();
  });

  it('runs the frozen backbone on ONNX Runtime by default, with the numbers tfjs gives, and keeps the graph', async () => {
    const home = tempDir('graft-home-');
    const args = ['embed', red, blue, '--model', 'thin16', '--weights', w16, '--image-size', '64', '--json'];
    const onnx = await graft([...args, '--engine', 'onnx'], { GRAFT_HOME: home });
    const tfjs = await graft([...args, '--engine', 'tfjs'], { GRAFT_HOME: home });
    const auto = await graft(args, { GRAFT_HOME: home });
    expect(onnx.status).toBe(0);
    expect(onnx.stderr).toMatch(
      /graft: frozen backbone on onnxruntime-node 1\.\d+\.\d+ \(cpu, \d+ threads?\)/,
    );
    expect(auto.stderr).toMatch(/frozen backbone on onnxruntime-node/);
    expect(tfjs.stderr).toMatch(/graft: frozen backbone on tfjs \(wasm\)/);
    const a = JSON.parse(onnx.stdout) as { features: number[] }[];
    const b = JSON.parse(tfjs.stdout) as { features: number[] }[];
    for (const [i, row] of a.entries()) {
      const scale = Math.max(...b[i]!.features.map(Math.abs));
      for (const [j, v] of row.features.entries())
        expect(Math.abs(v - b[i]!.features[j]!) / scale).toBeLessThan(1e-4);
    }
    expect(readdirSync(join(home, 'onnx')).filter((f) => f.endsWith('.onnx'))).toHaveLength(1);
    // the graph kept by the first run is found by the weight file's hash: no tfjs model is built
    expect(onnx.stderr).not.toContain('compiled graph from an earlier run');
    expect(auto.stderr).toContain(`weights ${w16} (compiled graph from an earlier run)`);
    expect(JSON.parse(auto.stdout)).toEqual(JSON.parse(onnx.stdout));
    // another file is other weights until its hash says otherwise: it gets a graph of its own
    const other = await graft(
      [...args.slice(0, 6), join(zooFixtures, 'resnet50_w16_notop_vlen.h5'), ...args.slice(7)],
      {
        GRAFT_HOME: home,
      },
    );
    expect(other.status).toBe(0);
    expect(other.stderr).not.toContain('compiled graph from an earlier run');
    expect(readdirSync(join(home, 'onnx')).filter((f) => f.endsWith('.onnx'))).toHaveLength(2);
    const bad = await graft([...args, '--engine', 'gpu']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--engine must be one of auto, onnx, tfjs, got 'gpu'");
  });

  it('embeds the images of a folder, in name order, skipping one it cannot read', async () => {
    const r = await graft(['embed', dir, '--model', 'thin16', '--weights', w16, '--image-size', '32']);
    expect(r.status).toBe(1);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[0]),
    ).toEqual([blue, red]);
    expect(r.stderr).toContain(`skipped ${join(dir, 'notes.jpg')}`);
  });

  it('exits quietly when the reader of its output closes early (graft embed … | head -c 1)', async () => {
    const many = tempDir();
    for (let i = 0; i < 40; i++)
      await writeImage(join(many, `${String(i).padStart(2, '0')}.png`), [i * 6, 90, 200], 32);
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${bin}" embed "${many}" --model thin16 --weights "${w16}" --image-size 32 | head -c 1 > /dev/null; echo "status \${PIPESTATUS[0]}" >&2`,
      ],
      { encoding: 'utf8', env: { ...process.env, GRAFT_PLUGINS: plugin } },
    );
    expect(r.stderr).not.toMatch(/EPIPE|Error:|at /);
    expect(r.stderr).toMatch(/status 0$/m);
  });

  it('runs on wasm by default (no native TensorFlow here) and says so', async () => {
    const r = await graft(['embed', red, '--model', 'thin16', '--weights', w16, '--image-size', '64']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/graft: backend wasm \(@tensorflow\/tfjs-backend-wasm\)/);
    expect(r.stdout.split('\t')[0]).toBe(red);
  });

  it('builds the backbone at --image-size, so a model with a fixed input (the demo) embeds at another size', async () => {
    const args = ['embed', red, '--model', 'resnet50-mini-fashion', '--image-size', '48'];
    for (const engine of ['tfjs', 'onnx']) {
      const r = await graft([...args, '--engine', engine], { GRAFT_HOME: tempDir('graft-home-') });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('layer multiscale_features, 48×48 input');
      expect(r.stdout.split('\t')[1]!.split(' ')).toHaveLength(448);
    }
  });

  it('skips an image it cannot read with a warning naming it, and exits 1', async () => {
    const notes = join(dir, 'notes.jpg');
    const r = await graft([
      'embed',
      red,
      notes,
      '--model',
      'thin16',
      '--weights',
      w16,
      '--image-size',
      '64',
      '--json',
      '--backend',
      'cpu',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`graft: warning: skipped ${notes}: is not an image in a format graft reads`);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(1);
  });

  it('names a weight file that is not there', async () => {
    const missing = join(dir, 'no-such-weights.h5');
    const r = await graft(['embed', red, '--model', 'thin16', '--weights', missing]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`graft: error: cannot read weight file ${missing}: no such file`);
  });

  it('names a weight file that does not fit the model', async () => {
    const r = await graft(['embed', red, '--model', 'thin64', '--weights', w16, '--backend', 'cpu']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /graft: error: .*resnet50_w16_notop\.h5: shape mismatch for conv1_conv kernel: the model expects \[7, 7, 3, 1\], the file has \[7, 7, 3, 4\]/,
    );
  });
});

describe('graft classify', () => {
  it('prints the top-k classes with labels and probabilities as JSON', async () => {
    const top = join(zooFixtures, 'resnet50_w64_top.h5');
    const r = await graft([
      'classify',
      red,
      blue,
      '--model',
      'thin64',
      '--weights',
      top,
      '--top',
      '3',
      '--json',
      '--backend',
      'cpu',
    ]);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      file: string;
      predictions: { index: number; label: string; probability: number }[];
    }[];
    expect(rows).toHaveLength(2);
    const p = rows[0]!.predictions;
    expect(p).toHaveLength(3);
    expect(p[0]!.probability).toBeGreaterThanOrEqual(p[1]!.probability);
    expect(typeof p[0]!.label).toBe('string');
    expect(p[0]!.label.length).toBeGreaterThan(0);
  });
});

describe('backends and usage', () => {
  it('names the package to install for a backend that is not there', async () => {
    const r = await graft([
      'embed',
      red,
      '--model',
      'thin16',
      '--weights',
      w16,
      '--backend',
      'tensorflow-gpu',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "graft: error: backend 'tensorflow-gpu' is not available: @tensorflow/tfjs-node-gpu is not installed. Install it with `npm install @tensorflow/tfjs-node-gpu`",
    );
  });

  it('exits 2 on a bad flag value', async () => {
    const r = await graft(['embed', red, '--batch-size', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--batch-size must be a whole number ≥ 1');
    const b = await graft(['embed', red, '--backend', 'gpu']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--backend must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu');
  });
});
