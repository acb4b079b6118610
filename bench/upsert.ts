import { type Kysely, sql } from 'kysely';
import { openPostgres, withTransaction } from '../src/db/index.js';
import { type Strategy, upsert } from '../src/upsert/index.js';
import { benchDatabase } from './lib/database.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread } from './lib/measure.js';
import { publish } from './lib/report.js';

/** Rows in the table; each measured call upserts the first UPSERTED of them with new values. */
const ROWS = sized(100_000, 5_000);
const UPSERTED = sized(20_000, 1_000);
const BATCH = 5_000;
const ROUNDS = sized(3, 2);

type Item = { sku: string; name: string; price: bigint; stock: number; tags: string[] };

function items(round: number, count = ROWS): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    sku: `SKU-${i}`,
    name: `Product ${i} r${round}`,
    price: BigInt(i * 10 + round),
    stock: (i + round) % 100,
    tags: ['t', `r${round % 3}`],
  }));
}

async function naive(db: Kysely<unknown>, rows: readonly Item[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) {
    await withTransaction(db, async (trx) => {
      for (const row of rows.slice(i, i + BATCH)) {
        const found = await sql<{ id: string }>`SELECT id FROM bench_items WHERE sku = ${row.sku}`.execute(trx);
        if (found.rows[0]) {
          await sql`UPDATE bench_items SET name = ${row.name}, price = ${row.price}, stock = ${row.stock}, tags = ${row.tags} WHERE sku = ${row.sku}`.execute(
            trx,
          );
        } else {
          await sql`INSERT INTO bench_items (sku, name, price, stock, tags) VALUES (${row.sku}, ${row.name}, ${row.price}, ${row.stock}, ${row.tags})`.execute(
            trx,
          );
        }
      }
    });
  }
}

async function strata(db: Kysely<unknown>, rows: readonly Item[], strategy: Strategy): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await upsert(db, 'bench_items', rows.slice(i, i + BATCH), { key: ['sku'], strategy });
}

/** Batch upserts of existing rows (every row changes): native, merge, update-first, fallback and a naive select-then-write loop. */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const database = await openPostgres(target.url, { max: 2, statementTimeoutMs: 0 });
  const db = database.db;
  try {
    await sql`DROP TABLE IF EXISTS bench_items`.execute(db);
    await sql`CREATE TABLE bench_items (id bigserial PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, price bigint NOT NULL, stock int NOT NULL, tags text[] NOT NULL)`.execute(
      db,
    );
    await strata(db, items(0), 'native');
    // Every call writes a fresh round of values into the same rows, so no method meets a no-op.
    let call = 0;
    const rowsPerSecond = (run: (rows: readonly Item[]) => Promise<void>) => async () => {
      const rows = items(++call, UPSERTED);
      const started = process.hrtime.bigint();
      await run(rows);
      return UPSERTED / (Number(process.hrtime.bigint() - started) / 1e9);
    };
    const s = await measureRounds(ROUNDS, {
      naive: rowsPerSecond((rows) => naive(db, rows)),
      native: rowsPerSecond((rows) => strata(db, rows, 'native')),
      merge: rowsPerSecond((rows) => strata(db, rows, 'merge')),
      'update-first': rowsPerSecond((rows) => strata(db, rows, 'update-first')),
      fallback: rowsPerSecond((rows) => strata(db, rows, 'fallback')),
    });
    const labels: Record<keyof typeof s, string> = {
      naive: 'naive select-then-insert/update loop (baseline)',
      native: 'strata native (INSERT ... ON CONFLICT)',
      merge: 'strata merge (MERGE)',
      'update-first': 'strata update-first',
      fallback: 'strata fallback (savepoint per row)',
    };
    const nativeRatio = ratio(s.native, s.naive);
    await publish({
      name: 'upsert',
      title: `Upsert: ${UPSERTED.toLocaleString('en-US')} rows over a ${ROWS.toLocaleString('en-US')}-row table, every row changed`,
      database: target.label,
      columns: ['method', 'rows/s', 'speed vs naive loop'],
      rows: (Object.keys(labels) as (keyof typeof s)[]).map((method) => ({
        method: labels[method],
        'rows/s': Math.round(median(s[method])),
        'speed vs naive loop': Number(ratio(s[method], s.naive).toFixed(2)),
      })),
      checks: [{ claim: `native upsert is faster than the naive loop (measured ${nativeRatio.toFixed(1)}x)`, holds: nativeRatio > 1 }],
      notes: [
        methodNote(ROUNDS),
        `Each measured call upserts the same ${UPSERTED.toLocaleString('en-US')} existing rows with new values (name, price, stock, tags), in batches of ${BATCH.toLocaleString('en-US')} rows per call; per-round speed of native vs the naive loop ${spread(roundRatios(s.native, s.naive))}.`,
        'native, merge and update-first send set-based statements (chunked under 65,535 parameters); fallback runs a savepoint, an INSERT and an UPDATE per row, which is why it is for engines or constraints without a native upsert.',
      ],
    });
    await sql`DROP TABLE bench_items`.execute(db);
  } finally {
    await database.close();
    await target.close();
  }
}
