import { sql } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { createQueryObserver, createRegistry, createStrataMetrics } from '../src/observe/index.js';
import { benchDatabase } from './lib/database.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread, throughput } from './lib/measure.js';
import { publish } from './lib/report.js';

const QUERIES = sized(20_000, 500);
const CONCURRENCY = 8;
const ROUNDS = sized(6, 2);

/** Simple-query throughput with instrumentation (timing histogram, bounded labels, slow-query check) on vs off. */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const registry = createRegistry();
  const metrics = createStrataMetrics(registry);
  const observer = createQueryObserver({ metrics, slowQueryMs: 500 });
  const plain = await openPostgres(target.url, { max: CONCURRENCY });
  const observed = await openPostgres(target.url, { max: CONCURRENCY, observer: observer.observe });
  observer.attach(observed.db);
  try {
    await sql`CREATE TABLE IF NOT EXISTS bench_obs (id int PRIMARY KEY, v text NOT NULL)`.execute(plain.db);
    await sql`INSERT INTO bench_obs SELECT g, md5(g::text) FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING`.execute(plain.db);
    const run = (db: typeof plain.db) => () => throughput(QUERIES, CONCURRENCY, (i) => sql`SELECT v FROM bench_obs WHERE id = ${(i % 10000) + 1}`.execute(db));
    const samples = await measureRounds(ROUNDS, { off: run(plain.db), on: run(observed.db) });
    const r = ratio(samples.on, samples.off);
    await publish({
      name: 'observe',
      title: 'Observability: simple-query throughput with instrumentation on vs off',
      database: target.label,
      columns: ['instrumentation', 'queries/s', 'ratio vs off'],
      rows: [
        { instrumentation: 'off (baseline)', 'queries/s': Math.round(median(samples.off)), 'ratio vs off': 1 },
        {
          instrumentation: 'on (histogram + bounded operation label + slow-query check)',
          'queries/s': Math.round(median(samples.on)),
          'ratio vs off': Number(r.toFixed(3)),
        },
      ],
      checks: [{ claim: `instrumented throughput >= 0.95x of uninstrumented (measured ${r.toFixed(3)}x)`, holds: r >= 0.95 }],
      notes: [
        methodNote(ROUNDS),
        `${QUERIES.toLocaleString('en-US')} primary-key lookups per round, ${CONCURRENCY} concurrent; per-round ratios ${spread(roundRatios(samples.on, samples.off), 3)}.`,
      ],
    });
    await sql`DROP TABLE bench_obs`.execute(plain.db);
  } finally {
    metrics.close();
    await plain.close();
    await observed.close();
    await target.close();
  }
}
