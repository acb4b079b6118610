import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkUpsert, objectSource } from '../../src/bulk/index.js';
import { enableHistory } from '../../src/history/index.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { type Strategy, upsert } from '../../src/upsert/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const STRATEGIES: Strategy[] = ['native', 'merge', 'fallback', 'update-first'];

const history = async (db: Kysely<unknown>, table: string, id: unknown) =>
  (
    await sql<{ version: number; operation: string; data: Record<string, unknown> | null }>`
      SELECT version, operation, data FROM ${sql.table(`${table}_history`)} WHERE row_id = ${id} ORDER BY version`.execute(db)
  ).rows;

describe('issue #20.1: an update that changes a primary key bypassed history', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE notes (id bigint PRIMARY KEY, title text NOT NULL UNIQUE, body text NOT NULL, version int NOT NULL DEFAULT 1)`.execute(db);
    await enableHistory(db, { table: 'notes' });
    await sql`CREATE TABLE goods (id uuid PRIMARY KEY, sku text NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), version int NOT NULL DEFAULT 1)`.execute(db);
    await sql`CREATE UNIQUE INDEX goods_sku ON goods (sku)`.execute(db);
    await enableSoftDelete(db, { table: 'goods' });
    await enableHistory(db, { table: 'goods' });
    await sql`CREATE TABLE plain (id bigint PRIMARY KEY, title text NOT NULL UNIQUE, body text NOT NULL)`.execute(db);
  });

  it.each(STRATEGIES)(
    '%s: upsert with key title and another id keeps the stored id and versions the change (was: id rewritten, no version)',
    async (strategy) => {
      const title = `hello-${strategy}`;
      const base = { native: 10, merge: 20, fallback: 30, 'update-first': 40 }[strategy as Exclude<Strategy, 'auto'>];
      await upsert(db, 'notes', [{ id: BigInt(base), title, body: 'first' }], { key: ['title'], strategy });
      const [result] = await upsert(db, 'notes', [{ id: BigInt(base + 9), title, body: 'changed' }], { key: ['title'], strategy });
      expect(result).toMatchObject({ action: 'updated', row: { id: BigInt(base), title, body: 'changed', version: 2 } });
      const ids = await sql<{ id: bigint }>`SELECT id FROM notes WHERE title = ${title}`.execute(db);
      expect(ids.rows).toEqual([{ id: BigInt(base) }]);
      expect((await history(db, 'notes', base)).map((v) => [v.version, v.operation, v.data?.body])).toEqual([
        [1, 'insert', 'first'],
        [2, 'update', 'changed'],
      ]);
      expect(await history(db, 'notes', base + 9)).toEqual([]);
    },
  );

  it('a raw UPDATE SET id on a versioned table is refused with KEY_CHANGE_REFUSED and writes nothing', async () => {
    await sql`INSERT INTO notes (id, title, body) VALUES (100, 'raw', 'x')`.execute(db);
    const err = await caught(() => sql`UPDATE notes SET id = 101, body = 'y' WHERE id = 100`.execute(db));
    expect(err.code).toBe('KEY_CHANGE_REFUSED');
    expect(err.details).toMatchObject({ table: 'notes', sqlState: 'SH001' });
    const psql = await pg.rawClient();
    await expect(psql.query('UPDATE notes SET id = id + 1 WHERE id = 100')).rejects.toMatchObject({ code: 'SH001' });
    expect((await sql<{ id: bigint; body: string }>`SELECT id, body FROM notes WHERE title = 'raw'`.execute(db)).rows).toEqual([{ id: 100n, body: 'x' }]);
    expect((await history(db, 'notes', 100)).map((v) => v.version)).toEqual([1]);
    expect(await history(db, 'notes', 101)).toEqual([]);
  });

  it('through a soft-delete view too: UPDATE goods SET id = ... is refused', async () => {
    await sql`INSERT INTO goods (id, sku, name) VALUES ('00000000-0000-7000-8000-000000000001', 'G-1', 'g')`.execute(db);
    const err = await caught(() => sql`UPDATE goods SET id = '00000000-0000-7000-8000-000000000002' WHERE sku = 'G-1'`.execute(db));
    expect(err.code).toBe('KEY_CHANGE_REFUSED');
    expect((await history(db, 'goods', '00000000-0000-7000-8000-000000000001')).map((v) => v.operation)).toEqual(['insert']);
  });

  it('an upsert that names the primary key in update is refused on a versioned table, and rewrites it on a plain one', async () => {
    await upsert(db, 'notes', [{ id: 200n, title: 'explicit', body: 'a' }], { key: ['title'] });
    const err = await caught(() => upsert(db, 'notes', [{ id: 201n, title: 'explicit', body: 'b' }], { key: ['title'], update: ['id', 'body'] }));
    expect(err.code).toBe('KEY_CHANGE_REFUSED');
    expect((await history(db, 'notes', 200)).map((v) => v.version)).toEqual([1]);
    await upsert(db, 'plain', [{ id: 1n, title: 'p', body: 'a' }], { key: ['title'] });
    expect((await upsert(db, 'plain', [{ id: 2n, title: 'p', body: 'b' }], { key: ['title'] }))[0]?.row).toMatchObject({ id: 1n, body: 'b' });
    expect((await upsert(db, 'plain', [{ id: 3n, title: 'p', body: 'c' }], { key: ['title'], update: ['id', 'body'] }))[0]?.row).toMatchObject({
      id: 3n,
      body: 'c',
    });
  });

  it('bulk upsert by sku with a row whose id differs keeps the stored id and versions the change (was: id rewritten, no version)', async () => {
    const stored = '00000000-0000-7000-8000-0000000000a1';
    const other = '00000000-0000-7000-8000-0000000000b2';
    expect((await bulkUpsert(pg.database, 'goods', objectSource([{ id: stored, sku: 'B-1', name: 'first' }]), { key: ['sku'] })).error).toBeUndefined();
    const result = await bulkUpsert(pg.database, 'goods', objectSource([{ id: other, sku: 'B-1', name: 'second' }]), { key: ['sku'] });
    expect(result.error).toBeUndefined();
    expect((await sql<{ id: string; name: string }>`SELECT id, name FROM goods WHERE sku = 'B-1'`.execute(db)).rows).toEqual([{ id: stored, name: 'second' }]);
    expect((await history(db, 'goods', stored)).map((v) => [v.version, v.operation, v.data?.name])).toEqual([
      [1, 'insert', 'first'],
      [2, 'update', 'second'],
    ]);
    expect(await history(db, 'goods', other)).toEqual([]);
    const explicit = await bulkUpsert(pg.database, 'goods', objectSource([{ id: other, sku: 'B-1', name: 'third' }]), { key: ['sku'], update: ['id', 'name'] });
    expect(explicit.error).toMatchObject({ code: 'BULK_BAD_ROW', details: { sqlState: 'SH001' } });
    expect(explicit.error?.message).toMatch(/^line 1: the primary key of a versioned row of goods_all cannot change/);
    expect((await history(db, 'goods', stored)).map((v) => v.version)).toEqual([1, 2]);
  });
});
