import { sql } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { enableSoftDelete } from '../src/softdelete/index.js';
import { benchDatabase } from './lib/database.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread, timed } from './lib/measure.js';
import { publish } from './lib/report.js';

const ROWS = sized(1_000_000, 20_000);
const ROUNDS = sized(5, 2);
/** Per round and table. */
const LOOKUPS = sized(600, 50);
const PAGES = sized(300, 25);

/** Live lookups by SKU and live list pages: 90% of 1M rows deleted vs 0% deleted. */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const database = await openPostgres(target.url, { max: 2, statementTimeoutMs: 0 });
  const db = database.db;
  try {
    for (const [table, deletedShare] of [
      ['sd_bench_0', 0],
      ['sd_bench_90', 0.9],
    ] as const) {
      process.stderr.write(`bench: loading ${ROWS} rows into ${table} (${deletedShare * 100}% deleted)\n`);
      await sql.raw(`DROP VIEW IF EXISTS ${table}, ${table}_deleted; DROP TABLE IF EXISTS ${table}_all, ${table}`).execute(db);
      await sql
        .raw(`DELETE FROM strata.soft_delete_tables WHERE table_name = '${table}'`)
        .execute(db)
        .catch(() => undefined);
      await sql
        .raw(`CREATE TABLE ${table} (id uuid PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, price bigint NOT NULL,
          stock int NOT NULL, tags text[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), payload jsonb NOT NULL)`)
        .execute(db);
      await sql.raw(`CREATE INDEX ${table}_price_id ON ${table} (price, id)`).execute(db);
      await enableSoftDelete(db, { table });
      await sql
        .raw(`INSERT INTO ${table}_all (id, sku, name, price, stock, tags, payload, deleted_at, deleted_by)
          SELECT gen_random_uuid(), 'SKU-' || g, 'Product ' || g, (g % 10000) * 100, g % 50, ARRAY['t' || (g % 20)], jsonb_build_object('g', g),
                 CASE WHEN g % 10 < ${deletedShare * 10} THEN now() - interval '1 day' END, CASE WHEN g % 10 < ${deletedShare * 10} THEN 'bench' END
            FROM generate_series(1, ${ROWS}) g`)
        .execute(db);
      await sql.raw(`VACUUM ANALYZE ${table}_all`).execute(db);
    }
    const liveSku = () => `SKU-${Math.floor(Math.random() * (ROWS / 10)) * 10 + 9}`;
    const cursors = async (table: string) =>
      (await sql.raw<{ id: string }>(`SELECT id FROM ${table}_all TABLESAMPLE SYSTEM (1) WHERE deleted_at IS NULL LIMIT ${PAGES}`).execute(db)).rows.map(
        (r) => r.id,
      );
    const after = { sd_bench_0: await cursors('sd_bench_0'), sd_bench_90: await cursors('sd_bench_90') };
    /** p50 latency (ms) of a round's live lookups by SKU through the live view. */
    const lookups = (table: 'sd_bench_0' | 'sd_bench_90') => async () => {
      const ms: number[] = [];
      for (let i = 0; i < LOOKUPS; i++) {
        const sku = liveSku();
        ms.push(await timed(() => sql`SELECT * FROM ${sql.table(table)} WHERE sku = ${sku}`.execute(db)));
      }
      return median(ms);
    };
    /** p50 latency (ms) of a round's 50-row keyset pages through the live view. */
    const pages = (table: 'sd_bench_0' | 'sd_bench_90') => async () => {
      const ms: number[] = [];
      for (let i = 0; i < PAGES; i++) {
        const from = after[table][i % after[table].length] ?? '00000000-0000-0000-0000-000000000000';
        ms.push(await timed(() => sql`SELECT * FROM ${sql.table(table)} WHERE id > ${from} ORDER BY id LIMIT 50`.execute(db)));
      }
      return median(ms);
    };
    const s = await measureRounds(ROUNDS, {
      lookup0: lookups('sd_bench_0'),
      lookup90: lookups('sd_bench_90'),
      page0: pages('sd_bench_0'),
      page90: pages('sd_bench_90'),
    });
    const l0 = median(s.lookup0);
    const l90 = median(s.lookup90);
    const p0 = median(s.page0);
    const p90 = median(s.page90);
    const lookupRatio = ratio(s.lookup90, s.lookup0);
    const pageRatio = ratio(s.page90, s.page0);
    const size = await sql<{
      t0: string;
      t90: string;
    }>`SELECT pg_size_pretty(pg_total_relation_size('sd_bench_0_all')) AS t0, pg_size_pretty(pg_total_relation_size('sd_bench_90_all')) AS t90`.execute(db);
    await publish({
      name: 'softdelete',
      title: 'Soft deletes: live reads with 90% of 1M rows deleted vs 0% deleted',
      database: target.label,
      columns: ['query', 'p50 ms, 0% deleted (baseline)', 'p50 ms, 90% deleted', 'ratio'],
      rows: [
        {
          query: 'live lookup by SKU',
          'p50 ms, 0% deleted (baseline)': Number(l0.toFixed(3)),
          'p50 ms, 90% deleted': Number(l90.toFixed(3)),
          ratio: Number(lookupRatio.toFixed(3)),
        },
        {
          query: 'live list page (50 rows, keyset on id)',
          'p50 ms, 0% deleted (baseline)': Number(p0.toFixed(3)),
          'p50 ms, 90% deleted': Number(p90.toFixed(3)),
          ratio: Number(pageRatio.toFixed(3)),
        },
      ],
      checks: [
        { claim: `live lookup by SKU: 90%-deleted / 0%-deleted p50 <= 1.2 (measured ${lookupRatio.toFixed(3)})`, holds: lookupRatio <= 1.2 },
        { claim: `live list page: 90%-deleted / 0%-deleted p50 <= 1.2 (measured ${pageRatio.toFixed(3)})`, holds: pageRatio <= 1.2 },
      ],
      notes: [
        methodNote(ROUNDS),
        `${ROWS.toLocaleString('en-US')} rows per table; a round is ${LOOKUPS} lookups (or ${PAGES} pages) on one table, one connection, through the live view; its figure is their p50. Per-round ratios: lookups ${spread(roundRatios(s.lookup90, s.lookup0), 3)}, pages ${spread(roundRatios(s.page90, s.page0), 3)}.`,
        'Indexes were rebuilt by enableSoftDelete for live rows only (partial: WHERE deleted_at IS NULL), so deleted rows cost no index entries on the read path.',
        `Table sizes with indexes: 0% deleted ${size.rows[0]?.t0}, 90% deleted ${size.rows[0]?.t90}.`,
      ],
    });
    await sql.raw('DROP VIEW sd_bench_0, sd_bench_0_deleted, sd_bench_90, sd_bench_90_deleted; DROP TABLE sd_bench_0_all, sd_bench_90_all').execute(db);
    await sql.raw(`DELETE FROM strata.soft_delete_tables WHERE table_name LIKE 'sd_bench_%'`).execute(db);
  } finally {
    await database.close();
    await target.close();
  }
}
