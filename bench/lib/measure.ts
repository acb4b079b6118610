/**
 * The one method every benchmark uses (stated in bench/README.md): each measure runs once as a
 * warm-up (not counted), then `rounds` rounds in which every measure runs once, the order rotating
 * from round to round (round r starts with measure r), so ordering, warm-up and the machine's other
 * work favour none. A measure's figure is the median of its rounds; a ratio between two measures
 * is the median of their per-round ratios (each round's samples ran back to back). A measure
 * given as undefined is left out (its samples: none).
 */
export async function measureRounds<K extends string>(
  rounds: number,
  measures: Readonly<Record<K, (() => Promise<number>) | undefined>>,
): Promise<Record<K, number[]>> {
  const names = (Object.keys(measures) as K[]).filter((n) => measures[n] !== undefined);
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = -1; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + Math.max(0, round)) % names.length] as K;
      const value = await (measures[name] as () => Promise<number>)();
      process.stderr.write(`bench:   ${round < 0 ? 'warm-up' : `round ${round + 1}/${rounds}`} ${name}: ${Number(value.toPrecision(4))}\n`);
      if (round >= 0) samples[name].push(value);
    }
  }
  return samples;
}

/** Median of any values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The ratio of `of` to `base` round by round (same-round samples ran back to back). */
export function roundRatios(of: readonly number[], base: readonly number[]): number[] {
  return of.map((value, i) => value / (base[i] ?? Number.NaN));
}

/** The reported ratio: the median of the per-round ratios. */
export function ratio(of: readonly number[], base: readonly number[]): number {
  return median(roundRatios(of, base));
}

/** `min-max` of values, for the notes (how much the rounds disagreed). */
export function spread(values: readonly number[], digits = 2): string {
  return `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
}

/** Runs `task` with `concurrency` workers until `total` operations are done; returns operations per second. */
export async function throughput(total: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await task(i);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return total / seconds;
}

/** Milliseconds one call of `task` takes. */
export async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await task();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * `STRATA_BENCH_QUICK=1`: every benchmark runs at a small size with 2 rounds, to check it works
 * (not for figures); its results go to a temporary folder, never to bench/results/.
 */
export const QUICK = process.env.STRATA_BENCH_QUICK === '1';

/** `full` normally, `quick` under STRATA_BENCH_QUICK=1. */
export function sized<T>(full: T, quick: T): T {
  return QUICK ? quick : full;
}

/** The method, as the notes of every result state it. */
export function methodNote(rounds: number): string {
  return `Method (bench/README.md): one warm-up run of each method, then ${rounds} rounds in which each runs once, the order rotating each round; figures are medians of the rounds, ratios medians of the per-round ratios.`;
}
