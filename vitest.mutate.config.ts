import { defineConfig } from 'vitest/config';
import { GROUPS, groupNamed } from './bench/mutate/groups.js';

/**
 * The test files `npm run mutate` (StrykerJS, stryker.config.mjs) runs against each mutant: those of
 * the group named by STRATA_MUTATE_GROUP (bench/mutate/groups.json), or, without it, every group's.
 * None needs a database or a server, so there is no global setup: keep these files to ones that import
 * no test/support helper opening a connection; a test of a mutated module that needs a database
 * belongs to `npm run mutate:db` (bench/mutate/db.ts) instead.
 */
export const PURE_TESTS = [...new Set(GROUPS.flatMap((g) => g.tests))];

const group = process.env.STRATA_MUTATE_GROUP;

export default defineConfig({
  test: {
    include: group ? [...groupNamed(group).tests] : PURE_TESTS,
    testTimeout: 60_000,
    isolate: false,
  },
});
