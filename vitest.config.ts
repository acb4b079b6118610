import { defineConfig } from 'vitest/config';

/**
 * Two groups: ordinary test files run in parallel; `*.heavy.test.ts` files (each opens dozens of
 * connections at once to prove concurrency claims) run one at a time afterwards, so a server
 * with the default max_connections = 100 is never exhausted.
 */
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: ['test/**/*.heavy.test.ts'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'heavy', include: ['test/**/*.heavy.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
