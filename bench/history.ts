import { sql } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { enableHistory } from '../src/history/index.js';
import { benchDatabase } from './lib/database.js';
import { alternate, throughput } from './lib/measure.js';
import { publish } from './lib/report.js';

const ROWS = 100_000;
const UPDATES = 20_000;
const CONCURRENCY = 8;
const ROUNDS = 4;

/** Update throughput on a products-like table with history on vs off, and bytes stored per version. */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const database = await openPostgres(target.url, { max: CONCURRENCY, statementTimeoutMs: 0 });
  const db = database.db;
  try {
    for (const table of ['hist_bench_off', 'hist_bench_on']) {
      await sql.raw(`DROP TABLE IF EXISTS ${table}, ${table}_history`).execute(db);
      await sql
        .raw(`CREATE TABLE ${table} (id int PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, description text NOT NULL, price bigint NOT NULL,
          currency text NOT NULL, stock int NOT NULL, tags text[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(), version int NOT NULL DEFAULT 1)`)
        .execute(db);
      await sql
        .raw(`INSERT INTO ${table} (id, sku, name, description, price, currency, stock, tags)
          SELECT g, 'SKU-' || g, 'Product ' || g, repeat('d', 120), g * 10, 'EUR', g % 100, ARRAY['t' || (g % 9), 'all'] FROM generate_series(1, ${ROWS}) g`)
        .execute(db);
    }
    await enableHistory(db, { table: 'hist_bench_on' });
    await sql.raw('VACUUM ANALYZE hist_bench_off').execute(db);
    await sql.raw('VACUUM ANALYZE hist_bench_on').execute(db);
    const versionsBefore = Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM hist_bench_on_history`.execute(db)).rows[0]?.n ?? 0);
    const bytesBefore = Number((await sql<{ b: string }>`SELECT pg_total_relation_size('hist_bench_on_history')::text AS b`.execute(db)).rows[0]?.b ?? 0);
    const update = (table: string) => () =>
      throughput(UPDATES, CONCURRENCY, async () => {
        const id = 1 + Math.floor(Math.random() * ROWS);
        await sql`UPDATE ${sql.table(table)} SET stock = stock + 1, price = price + 1 WHERE id = ${id}`.execute(db);
      });
    await update('hist_bench_off')();
    await update('hist_bench_on')();
    const [off = 0, on = 0] = await alternate(ROUNDS, [update('hist_bench_off'), update('hist_bench_on')]);
    const versions = Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM hist_bench_on_history`.execute(db)).rows[0]?.n ?? 0) - versionsBefore;
    const bytes =
      Number((await sql<{ b: string }>`SELECT pg_total_relation_size('hist_bench_on_history')::text AS b`.execute(db)).rows[0]?.b ?? 0) - bytesBefore;
    const avgData = Number((await sql<{ b: string }>`SELECT avg(pg_column_size(data))::int::text AS b FROM hist_bench_on_history`.execute(db)).rows[0]?.b ?? 0);
    const ratio = on / off;
    await publish({
      name: 'history',
      title: 'History: update throughput with history on vs off',
      database: target.label,
      columns: ['table', 'updates/s', 'ratio vs history off'],
      rows: [
        { table: 'history off (baseline)', 'updates/s': Math.round(off), 'ratio vs history off': 1 },
        { table: 'history on (triggers + jsonb version rows)', 'updates/s': Math.round(on), 'ratio vs history off': Number(ratio.toFixed(3)) },
      ],
      checks: [{ claim: `history on keeps >= 0.7x of history-off update throughput (measured ${ratio.toFixed(3)}x)`, holds: ratio >= 0.7 }],
      notes: [
        `${ROWS.toLocaleString('en-US')}-row products-like table (11 columns); single-row updates by primary key, ${CONCURRENCY} connections, ${UPDATES.toLocaleString('en-US')} per round; one warm-up round each, best of ${ROUNDS} alternating rounds.`,
        `Bytes stored per version: ${versions > 0 ? Math.round(bytes / versions) : 0} (history table incl. indexes and TOAST, ${versions.toLocaleString('en-US')} versions written during the run); the row image (jsonb) averages ${avgData} bytes.`,
      ],
    });
    await sql.raw('DROP TABLE hist_bench_off, hist_bench_on, hist_bench_on_history').execute(db);
  } finally {
    await database.close();
    await target.close();
  }
}
