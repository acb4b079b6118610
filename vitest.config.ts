import { defineConfig } from 'vitest/config';

/**
 * Two groups: ordinary test files run in parallel; `*.heavy.test.ts` files (each opens dozens of
 * connections at once to prove concurrency claims) run one at a time afterwards, so a server
 * with the default max_connections = 100 is never exhausted.
 *
 * The ordinary files run three at a time (STRATA_TEST_WORKERS overrides it): most of their time is
 * spent waiting on the database, on child processes (the CLI, strata serve) and on embedded servers
 * starting, not on this machine's CPU, and Vitest's default (one fewer than the cores) is a single
 * file at a time on a 2-core machine.
 */
const workers = Number(process.env.STRATA_TEST_WORKERS ?? 3);
if (!Number.isInteger(workers) || workers < 1)
  throw new Error(`STRATA_TEST_WORKERS must be a whole number of 1 or more (got "${process.env.STRATA_TEST_WORKERS}")`);

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'default', include: ['test/**/*.test.ts'], exclude: ['test/**/*.heavy.test.ts'], maxWorkers: workers, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'heavy', include: ['test/**/*.heavy.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
