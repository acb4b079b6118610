import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Ordinary test files run three at a time (STRATA_TEST_WORKERS overrides it): most of their time is
 * spent waiting on the database, on child processes (the CLI, strata serve) and on embedded servers
 * starting, not on this machine's CPU, and Vitest's default (one fewer than the cores) is a single
 * file at a time on a 2-core machine.
 *
 * `*.heavy.test.ts` files each open dozens of connections at once to prove concurrency claims. On a
 * server given by DATABASE_URL (PostgreSQL's default max_connections is 100) they run one at a time
 * after the others; on the run's own embedded server (max_connections 400, test/support/global-setup.ts)
 * they run beside them, which is most of the difference between a 7- and a 5-minute `npm test`.
 *
 * Files are not isolated from each other (isolate: false): a worker imports strata's modules once,
 * not once per file (Vitest measured 119 s of imports per run with isolation, 19 s without). No test
 * mocks modules or changes process.env, and each file has its own database, so nothing leaks.
 */
const workers = Number(process.env.STRATA_TEST_WORKERS ?? 3);
if (!Number.isInteger(workers) || workers < 1)
  throw new Error(`STRATA_TEST_WORKERS must be a whole number of 1 or more (got "${process.env.STRATA_TEST_WORKERS}")`);

const heavy = 'test/**/*.heavy.test.ts';
const projects: TestProjectInlineConfiguration[] = process.env.DATABASE_URL
  ? [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], exclude: [heavy], maxWorkers: workers, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'heavy', include: [heavy], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ]
  : [{ extends: true, test: { name: 'default', include: ['test/**/*.test.ts'], maxWorkers: workers } }];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects,
  },
});
