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

/**
 * Runs the measurements in alternation for `rounds` rounds and keeps each one's best, so that
 * warm-up, caches and the machine's other work favour no method.
 */
export async function alternate(rounds: number, measures: readonly (() => Promise<number>)[]): Promise<number[]> {
  const best = measures.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    for (const [i, measure] of measures.entries()) best[i] = Math.max(best[i] ?? 0, await measure());
  }
  return best;
}

/** Median of latencies in milliseconds. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Milliseconds one call of `task` takes. */
export async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await task();
  return Number(process.hrtime.bigint() - started) / 1e6;
}
