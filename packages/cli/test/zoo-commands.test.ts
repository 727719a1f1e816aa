import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { graft, serveFolder, tempDir, zooFixtures } from './helpers.js';

let server: Awaited<ReturnType<typeof serveFolder>>;
let home: string;
const env = () => ({ GRAFT_HOME: home, GRAFT_TEST_WEIGHTS_URL: server.url });

beforeAll(async () => {
  server = await serveFolder(zooFixtures);
});
afterAll(() => server.close());
beforeEach(() => {
  home = tempDir('graft-home-');
});

describe('graft zoo', () => {
  it('pull downloads into GRAFT_HOME, list shows it cached, verify passes, rm removes it', async () => {
    const pull = await graft(['zoo', 'pull', 'thin64'], env());
    expect(pull.status).toBe(0);
    const path = pull.stdout.trim();
    expect(path).toBe(join(home, 'models', 'thin64', 'resnet50_w64_notop.h5'));
    expect(readFileSync(path)).toEqual(readFileSync(join(zooFixtures, 'resnet50_w64_notop.h5')));
    expect(pull.stderr).toMatch(/pulling resnet50_w64_notop\.h5 100%/);

    const list = await graft(['zoo', 'list', '--json'], env());
    const rows = JSON.parse(list.stdout) as { model: string; top: boolean; cached: boolean }[];
    expect(rows.find((r) => r.model === 'thin64' && !r.top)?.cached).toBe(true);
    expect(rows.find((r) => r.model === 'thin64' && r.top)?.cached).toBe(false);
    expect(rows.find((r) => r.model === 'resnet50' && !r.top)).toMatchObject({
      cached: false,
      bytes: 94_765_736,
    });

    const verify = await graft(['zoo', 'verify'], env());
    expect(verify.status).toBe(0);
    expect(verify.stdout).toContain(`ok      ${path}`);

    const rm = await graft(['zoo', 'rm', 'thin64'], env());
    expect(rm.status).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('verify reports and deletes a damaged file, exiting 1', async () => {
    const path = (await graft(['zoo', 'pull', 'thin64', '--top'], env())).stdout.trim();
    writeFileSync(path, 'damaged');
    const verify = await graft(['zoo', 'verify'], env());
    expect(verify.status).toBe(1);
    expect(verify.stdout).toContain(`DAMAGED ${path} (7 bytes, expected 575672; deleted, pull it again)`);
    expect(existsSync(path)).toBe(false);
  });

  it('import copies a hand-carried file after checking its md5; refuses another file', async () => {
    const ok = await graft(['zoo', 'import', 'thin64', join(zooFixtures, 'resnet50_w64_top.h5')], {
      GRAFT_HOME: home,
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(join(home, 'models', 'thin64', 'resnet50_w64_top.h5'));
    const bad = await graft(['zoo', 'import', 'thin64', join(zooFixtures, 'resnet50_w16_notop.h5')], {
      GRAFT_HOME: home,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /graft: error: .*resnet50_w16_notop\.h5 has md5 [0-9a-f]{32}, which is none of thin64's weight files/,
    );
  });

  it('offline pull says what is missing and how to import it', async () => {
    const before = server.hits.get('resnet50_w64_notop.h5') ?? 0;
    const r = await graft(['zoo', 'pull', 'thin64'], { ...env(), GRAFT_OFFLINE: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /not in the cache .* offline mode is on .*graft zoo import thin64 resnet50_w64_notop\.h5/,
    );
    expect(server.hits.get('resnet50_w64_notop.h5') ?? 0).toBe(before);
  });

  it('pull of an unknown model or variant is an error naming what exists', async () => {
    const r = await graft(['zoo', 'pull', 'resnet5'], env());
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /unknown model 'resnet5': the zoo has resnet50, resnet50-mini-fashion, thin64, thin16/,
    );
    const v = await graft(['zoo', 'pull', 'thin16', '--weights', 'places365'], env());
    expect(v.status).toBe(2);
    expect(v.stderr).toContain("thin16 has no 'places365' weights (it has imagenet)");
  });

  it('pull of a bundled model says its weights ship with the package, naming the variant', async () => {
    const r = await graft(['zoo', 'pull', 'resnet50-mini-fashion'], env());
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      "resnet50-mini-fashion's fashion-a weights are bundled with @graft/zoo: nothing to download",
    );
  });

  it('path prints GRAFT_HOME', async () => {
    expect((await graft(['zoo', 'path'], { GRAFT_HOME: home })).stdout.trim()).toBe(home);
  });

  it('export writes model.json, shards and the manifest for a web app', async () => {
    const out = join(tempDir('graft-export-'), 'thin');
    const r = await graft(['zoo', 'export', 'thin64', '--out', out, '--backend', 'cpu'], env());
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['graft-backbone.json', 'group1-shard1of1.bin', 'model.json']);
    const manifest = JSON.parse(readFileSync(join(out, 'graft-backbone.json'), 'utf8'));
    expect(manifest).toMatchObject({ model: 'thin64', includeTop: false, preprocessing: 'caffe' });
  });
});
