import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings. Tests start real workers on a slow, noisy 2-core machine, so
 * timeouts are generous and files run one at a time (threads of one file still run in
 * parallel). Each run writes test-results.json, which tooling/scripts/test-all.mjs totals.
 */
export const sharedConfig = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
