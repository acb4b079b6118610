import { type Kysely, sql } from 'kysely';
import { openPostgres, withTransaction } from '../src/db/index.js';
import { type Strategy, upsert } from '../src/upsert/index.js';
import { benchDatabase } from './lib/database.js';
import { publish } from './lib/report.js';

const ROWS = 100_000;
const BATCH = 5_000;

type Item = { sku: string; name: string; price: bigint; stock: number; tags: string[] };

function items(round: number): Item[] {
  return Array.from({ length: ROWS }, (_, i) => ({
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

/** 100,000-row batch upsert over existing rows: native, merge, fallback and a naive select-then-write loop. */
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
    const methods: [string, (rows: readonly Item[]) => Promise<void>][] = [
      ['naive select-then-insert/update loop (baseline)', (rows) => naive(db, rows)],
      ['strata native (INSERT ... ON CONFLICT)', (rows) => strata(db, rows, 'native')],
      ['strata merge (MERGE)', (rows) => strata(db, rows, 'merge')],
      ['strata update-first', (rows) => strata(db, rows, 'update-first')],
      ['strata fallback (savepoint per row)', (rows) => strata(db, rows, 'fallback')],
    ];
    const results: { method: string; seconds: number }[] = [];
    for (const [round, [method, run]] of methods.entries()) {
      const rows = items(round + 1);
      process.stderr.write(`bench: ${method}\n`);
      const started = process.hrtime.bigint();
      await run(rows);
      results.push({ method, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    }
    const base = results[0]?.seconds ?? 1;
    const native = results[1]?.seconds ?? 1;
    await publish({
      name: 'upsert',
      title: 'Upsert: 100,000 rows over 100,000 existing rows',
      database: target.label,
      columns: ['method', 'seconds', 'rows/s', 'speed vs naive loop'],
      rows: results.map((r) => ({
        method: r.method,
        seconds: Number(r.seconds.toFixed(2)),
        'rows/s': Math.round(ROWS / r.seconds),
        'speed vs naive loop': Number((base / r.seconds).toFixed(2)),
      })),
      checks: [{ claim: `native upsert is faster than the naive loop (measured ${(base / native).toFixed(1)}x)`, holds: native < base }],
      notes: [
        `Every row changes (new name, price, stock, tags), in batches of ${BATCH.toLocaleString('en-US')} rows per call; each method writes a fresh round of values so none is a no-op.`,
        'native, merge and update-first send set-based statements (chunked under 65,535 parameters); fallback runs a savepoint, an INSERT and an UPDATE per row, which is why it is for engines or constraints without a native upsert.',
      ],
    });
    await sql`DROP TABLE bench_items`.execute(db);
  } finally {
    await database.close();
    await target.close();
  }
}
