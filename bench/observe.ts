import { sql } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { createQueryObserver, createRegistry, createStrataMetrics } from '../src/observe/index.js';
import { benchDatabase } from './lib/database.js';
import { alternate, throughput } from './lib/measure.js';
import { publish } from './lib/report.js';

const QUERIES = 20_000;
const CONCURRENCY = 8;
const ROUNDS = 6;

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
    await run(plain.db)();
    await run(observed.db)();
    const [off = 0, on = 0] = await alternate(ROUNDS, [run(plain.db), run(observed.db)]);
    const ratio = on / off;
    await publish({
      name: 'observe',
      title: 'Observability: simple-query throughput with instrumentation on vs off',
      database: target.label,
      columns: ['instrumentation', 'queries/s', 'ratio vs off'],
      rows: [
        { instrumentation: 'off (baseline)', 'queries/s': Math.round(off), 'ratio vs off': 1 },
        {
          instrumentation: 'on (histogram + bounded operation label + slow-query check)',
          'queries/s': Math.round(on),
          'ratio vs off': Number(ratio.toFixed(3)),
        },
      ],
      checks: [{ claim: `instrumented throughput >= 0.95x of uninstrumented (measured ${ratio.toFixed(3)}x)`, holds: ratio >= 0.95 }],
      notes: [
        `${QUERIES.toLocaleString('en-US')} primary-key lookups per round, ${CONCURRENCY} concurrent; one warm-up round each, best of ${ROUNDS} alternating rounds.`,
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
