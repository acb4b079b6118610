/**
 * `npm run bench -- bulk-cli`: the command-line half of bench/bulk.ts alone (strata load vs psql
 * \copy as whole commands, CLI start-up, peak RSS of strata load at 1M and 5M rows). Results:
 * bench/results/bulk-cli.md with DATABASE_URL (PostgreSQL 15 here), bulk-cli-embedded.md without
 * (the embedded PostgreSQL 18).
 */
process.env.STRATA_BENCH_PART = 'cli';
const { default: bulk } = await import('./bulk.js');

export default bulk;
