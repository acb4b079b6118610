import { sql } from 'kysely';
import pg from 'pg';
import { openPostgres } from '../src/db/index.js';
import { benchDatabase } from './lib/database.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread, throughput } from './lib/measure.js';
import { publish } from './lib/report.js';

const QUERIES = sized(20_000, 500);
const CONCURRENCY = 8;
const ROUNDS = sized(5, 2);

/** Point-query throughput through strata's Database (Kysely + error translation) vs a bare pg.Pool. */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const raw = new pg.Pool({ connectionString: target.url, max: CONCURRENCY });
  const database = await openPostgres(target.url, { max: CONCURRENCY });
  try {
    await raw.query('CREATE TABLE IF NOT EXISTS bench_kv (id int PRIMARY KEY, v text NOT NULL)');
    await raw.query('INSERT INTO bench_kv SELECT g, md5(g::text) FROM generate_series(1, 10000) g ON CONFLICT DO NOTHING');
    const samples = await measureRounds(ROUNDS, {
      raw: () => throughput(QUERIES, CONCURRENCY, (i) => raw.query('SELECT v FROM bench_kv WHERE id = $1', [(i % 10000) + 1])),
      strata: () => throughput(QUERIES, CONCURRENCY, (i) => sql`SELECT v FROM bench_kv WHERE id = ${(i % 10000) + 1}`.execute(database.db)),
    });
    const r = ratio(samples.strata, samples.raw);
    await publish({
      name: 'db',
      title: 'Database core: point-query throughput',
      database: target.label,
      columns: ['method', 'queries/s', 'ratio vs raw pg'],
      rows: [
        { method: 'raw pg.Pool (baseline)', 'queries/s': Math.round(median(samples.raw)), 'ratio vs raw pg': 1 },
        { method: 'strata Database (Kysely + typed errors)', 'queries/s': Math.round(median(samples.strata)), 'ratio vs raw pg': Number(r.toFixed(3)) },
      ],
      checks: [{ claim: `strata's core keeps >= 0.9x of raw pg throughput (measured ${r.toFixed(3)}x)`, holds: r >= 0.9 }],
      notes: [
        methodNote(ROUNDS),
        `${QUERIES.toLocaleString('en-US')} primary-key lookups per round, ${CONCURRENCY} concurrent; per-round ratios ${spread(roundRatios(samples.strata, samples.raw), 3)}.`,
      ],
    });
  } finally {
    await raw.query('DROP TABLE IF EXISTS bench_kv').catch(() => undefined);
    await raw.end();
    await database.close();
    await target.close();
  }
}
