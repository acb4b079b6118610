// @ts-check
/**
 * `npm run mutate`: StrykerJS over the modules whose tests need no database (see bench/README.md,
 * "Mutation testing"). bench/mutate/report.ts turns the JSON report into bench/results/mutate.md
 * and .json, with the reason for every surviving mutant taken from bench/mutate/accepted.json.
 * Concurrency 2: the machine is shared; one run takes a few minutes.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  mutate: [
    'src/boundary/dto.ts',
    'src/boundary/problem.ts',
    'src/boundary/validate.ts',
    'src/bulk/condition.ts',
    'src/bulk/csv-raw.ts',
    'src/bulk/encode.ts',
    'src/bulk/line-map.ts',
    'src/bulk/plan.ts',
    'src/bulk/progress.ts',
    'src/bulk/utf8.ts',
    'src/cli/progress.ts',
    'src/db/config.ts',
    'src/db/quote.ts',
    'src/db/translate-mariadb.ts',
    'src/db/translate-postgres.ts',
    'src/observe/fingerprint.ts',
    'src/observe/plan.ts',
    'src/observe/registry.ts',
    'src/service/catalog/cursor.ts',
    'src/softdelete/names.ts',
    'src/softdelete/render.ts',
    'src/upsert/render.ts',
    'src/upsert/strategies.ts',
  ],
  ignorePatterns: ['dist', '.strata', 'scratch', 'bench/results', 'reports'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  timeoutMS: 5_000,
  // Later runs test only the mutants whose code or tests changed (reports/ is not committed; --force runs all).
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
