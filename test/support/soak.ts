/**
 * How many rounds a soak test runs: `short` by default (a newcomer's `npm test` stays quick), `full`
 * when `STRATA_SOAK=full` (CI: `.ci/run` sets it), or the number `STRATA_SOAK` gives. Anything else,
 * 0 included, is refused: a soak test that runs no round asserts nothing.
 */
export function soakRounds(full: number, short: number): number {
  const value = process.env.STRATA_SOAK;
  if (value === undefined || value === '') return short;
  if (value === 'full') return full;
  if (!/^[1-9]\d*$/.test(value)) throw new Error(`STRATA_SOAK must be 'full' or a number of rounds (1 or more), not ${JSON.stringify(value)}`);
  return Number(value);
}
