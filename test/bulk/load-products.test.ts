import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkUpsert, csvFile } from '../../src/bulk/index.js';
import { migrateService } from '../../src/service/index.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let dir: string;

beforeAll(async () => {
  await pg.withSession((d) => migrateService(d.db));
  dir = await mkdtemp(join(tmpdir(), 'strata-products-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const products = async () =>
  (
    await sql<{ id: string; sku: string; name: string; price: string; version: number }>`
      SELECT id::text, sku, name, price::text, version FROM products ORDER BY sku`.execute(pg.database.db)
  ).rows;

describe("README's strata load products products.csv --upsert-key sku (#20 point 14)", () => {
  it('strata load products products.csv --upsert-key sku works on the catalog: new rows get UUIDv7 ids, an existing row keeps its id', async () => {
    const env = { DATABASE_URL: pg.url };
    const file = join(dir, 'products.csv');
    await writeFile(file, 'sku,name,price,currency,stock\nA-1,Espresso cup,1200,EUR,10\nA-2,Saucer,400,EUR,25\n');
    const first = await runCli(['load', 'products', file, '--upsert-key', 'sku'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('loaded products: 2 rows committed\n');
    const loaded = await products();
    expect(loaded.map((p) => p.sku)).toEqual(['A-1', 'A-2']);
    for (const p of loaded) expect(p.id).toMatch(UUID_V7);

    // A CRLF file through the raw CSV path, then NDJSON (encoded in Node) and reject mode: same rule.
    await writeFile(file, 'sku,name,price,currency,stock\r\nA-1,Espresso cup (new),1300,EUR,10\r\nA-3,"Mug, large",900,EUR,5\r\n');
    const update = await runCli(['load', 'products', file, '--upsert-key', 'sku'], env);
    expect(update.code, update.stderr).toBe(0);
    const ndjson = join(dir, 'more.ndjson');
    await writeFile(ndjson, '{"sku":"A-2","name":"Saucer","price":450,"currency":"EUR"}\n{"sku":"A-4","name":"Spoon","price":150,"currency":"EUR"}\n');
    const more = await runCli(['load', 'products', ndjson, '--upsert-key', 'sku', '--reject-file', join(dir, 'rejects.ndjson')], env);
    expect(more.code, more.stderr).toBe(0);

    const after = await products();
    expect(after.map((p) => [p.sku, p.name, p.price])).toEqual([
      ['A-1', 'Espresso cup (new)', '1300'],
      ['A-2', 'Saucer', '450'],
      ['A-3', 'Mug, large', '900'],
      ['A-4', 'Spoon', '150'],
    ]);
    for (const p of after) expect(p.id).toMatch(UUID_V7);
    const idOf = (rows: typeof after, sku: string) => rows.find((p) => p.sku === sku)?.id;
    expect(idOf(after, 'A-1')).toBe(idOf(loaded, 'A-1'));
    expect(idOf(after, 'A-2')).toBe(idOf(loaded, 'A-2'));
    expect(new Set(after.map((p) => p.id)).size).toBe(4);
    // History follows the row under its one id.
    const { rows: versions } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM products_history WHERE row_id = ${idOf(after, 'A-1')}::uuid`.execute(pg.database.db);
    expect(versions[0]?.n).toBe(2);
  });

  it('a plain insert fills the key too, and a file that has the key keeps its own ids', async () => {
    const { Readable } = await import('node:stream');
    const own = '0190f0a0-0000-7000-8000-000000000001';
    const result = await bulkUpsert(pg.database, 'products', csvFile(Readable.from([`id,sku,name,price,currency\n${own},B-1,Bowl,800,EUR\n`])), {
      key: ['sku'],
    });
    expect(result.error).toBeUndefined();
    await writeFile(join(dir, 'insert.csv'), 'sku,name,price,currency\nC-1,Plate,700,EUR\n');
    const insert = await runCli(['load', 'products', join(dir, 'insert.csv')], { DATABASE_URL: pg.url });
    expect(insert.code, insert.stderr).toBe(0);
    const rows = await products();
    expect(rows.find((p) => p.sku === 'B-1')?.id).toBe(own);
    expect(rows.find((p) => p.sku === 'C-1')?.id).toMatch(UUID_V7);
  });

  it('a CSV file passed through as it is gets a key per record, also for records split across reads, quoted newlines, CRLF and no final newline', async () => {
    const { Readable } = await import('node:stream');
    await sql`CREATE TABLE keyed (id uuid PRIMARY KEY, n int NOT NULL UNIQUE, note text)`.execute(pg.database.db);
    // The same file into a table that makes its own keys: a CRLF file's last line without a line ending loads too.
    await sql`CREATE TABLE serial (id bigserial PRIMARY KEY, n int NOT NULL UNIQUE, note text)`.execute(pg.database.db);
    const records = Array.from({ length: 3000 }, (_, i) => `${i},${i % 7 === 0 ? '"two\r\nlines, quoted"' : i % 5 === 0 ? '' : `note ${i}`}`);
    const text = `n,note\r\n${records.join('\r\n')}`;
    for (const table of ['keyed', 'serial']) {
      // Reads of 37 bytes: records, quotes and CRLF pairs are cut across reads.
      const pieces = Array.from({ length: Math.ceil(text.length / 37) }, (_, i) => Buffer.from(text.slice(i * 37, i * 37 + 37)));
      const result = await bulkUpsert(pg.database, table, csvFile(Readable.from(pieces)), { key: ['n'], chunkRows: 700 });
      expect(result.error?.message, table).toBeUndefined();
      expect(result.rows).toBe(3000);
      const { rows } = await sql<{ n: number; ids: number; two: number; nulls: number }>`
        SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, count(*) FILTER (WHERE note = E'two\r\nlines, quoted')::int AS two,
               count(*) FILTER (WHERE note IS NULL)::int AS nulls FROM ${sql.table(table)}`.execute(pg.database.db);
      expect(rows[0], table).toEqual({ n: 3000, ids: 3000, two: 429, nulls: 3000 / 5 - 86 });
    }
    const { rows } = await sql<{ v7: number }>`SELECT count(*)::int AS v7 FROM keyed WHERE id::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7'`.execute(pg.database.db);
    expect(rows[0]?.v7).toBe(3000);
  });
});
