import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '..', '..', '..', '.changeset');
const packages = new Set(['@graft/zoo', '@graft/core', '@graft/cli', '@graft/web', '@graft/examples']);

describe('changesets', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');

  it('are all well-formed (none pending right after a release)', () => {
    expect(files.every((f) => /^[\w-]+\.md$/.test(f))).toBe(true);
  });

  it.skipIf(files.length === 0).each(files.length ? files : ['none'])(
    '%s has the front matter `changeset version` reads',
    (file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      // a formatter once turned the front matter into a Markdown heading; changesets then ignored it
      const match = /^---\n((?:"[^"]+": (?:major|minor|patch)\n)+)---\n\n\S/.exec(text);
      expect(
        match,
        `${file} must start with ---, "package": bump lines, ---, a blank line, a summary`,
      ).not.toBeNull();
      for (const line of match[1].trim().split('\n')) expect(packages).toContain(line.split('"')[1]);
    },
  );
});
