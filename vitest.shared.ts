// The test settings every package shares (each package's vitest.config.ts re-exports this).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: [fileURLToPath(new URL('./tools/test-support/quiet-tfjs.mjs', import.meta.url))],
  },
});
