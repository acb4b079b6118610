import { defineConfig } from 'vitest/config';

/**
 * The test files `npm run mutate` (StrykerJS, stryker.config.mjs) runs against each mutant: the ones
 * that need no database or server, so no global setup. Keep this list to files that import no
 * test/support helper opening a connection; a test of a mutated module that needs a database
 * belongs to `npm run mutate:db` (bench/mutate/db.ts) instead.
 */
export const PURE_TESTS = [
  'test/boundary/dto.test.ts',
  'test/bulk/encode.test.ts',
  'test/bulk/errors.test.ts',
  'test/bulk/lines.test.ts',
  'test/cli/progress.test.ts',
  'test/db/error-registry.test.ts',
  'test/db/translate.test.ts',
  'test/observe/plan.test.ts',
  'test/observe/registry.test.ts',
  'test/service/cursor.property.test.ts',
  'test/softdelete/render.test.ts',
  'test/upsert/render.test.ts',
];

export default defineConfig({
  test: {
    include: PURE_TESTS,
    testTimeout: 60_000,
    isolate: false,
  },
});
