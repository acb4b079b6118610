// @ts-check
import { readFileSync } from 'node:fs';

/**
 * StrykerJS over the modules whose tests need no database, one group at a time: run it as
 * `npm run mutate [-- <group> ...]` (bench/mutate/stryker.ts), which sets STRATA_MUTATE_GROUP for each
 * group of bench/mutate/groups.json and then merges the groups' JSON reports into
 * bench/results/mutation.md (bench/mutate/report.ts; reasons for survivors: bench/mutate/accepted.json).
 * Each group mutates its own modules and runs only its own test files (vitest.mutate.config.ts reads
 * the same variable). Concurrency 1 by default: the machine is shared (STRATA_MUTATE_CONCURRENCY).
 */
const { groups } = JSON.parse(readFileSync(new URL('./bench/mutate/groups.json', import.meta.url), 'utf8'));
const name = process.env.STRATA_MUTATE_GROUP;
const group = groups.find((/** @type {{ name: string }} */ g) => g.name === name);
if (!group) {
  throw new Error(
    `STRATA_MUTATE_GROUP must name a group of bench/mutate/groups.json (${groups.map((/** @type {{ name: string }} */ g) => g.name).join(', ')}), not ${JSON.stringify(name)}: run npm run mutate -- <group>`,
  );
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.STRATA_MUTATE_CONCURRENCY ?? 1),
  mutate: group.mutate,
  ignorePatterns: ['dist', '.strata', 'scratch', 'bench/results', 'reports', 'docs', 'migrations'],
  reporters: ['progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${group.name}.json` },
  timeoutMS: 10_000,
  // A static mutant (a module-level table or constant) needs every test of the group rerun with the modules
  // reloaded: minutes each on the shared machine. They are reported as ignored unless STRATA_MUTATE_STATIC=1.
  ignoreStatic: process.env.STRATA_MUTATE_STATIC !== '1',
  // Later runs test only the mutants whose code or tests changed (reports/ is not committed; --force runs all).
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${group.name}.json`,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
