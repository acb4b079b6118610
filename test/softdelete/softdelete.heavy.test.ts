import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { isStrataError, type StrataError, setWriteContext, withTransaction } from '../../src/db/index.js';
import { enableSoftDelete, onlyDeleted, restore, withDeleted } from '../../src/softdelete/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 40 });

describe('soft deletes that cannot be forgotten', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), sku text NOT NULL CONSTRAINT items_sku_key UNIQUE, stock int NOT NULL, kind text NOT NULL DEFAULT 'a')`.execute(
      db,
    );
    await sql`CREATE INDEX items_kind ON items (kind)`.execute(db);
    await sql`CREATE TABLE parts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), item_id uuid NOT NULL REFERENCES items (id), label text NOT NULL)`.execute(db);
    await sql`CREATE TABLE notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), item_id uuid NOT NULL REFERENCES items (id), body text NOT NULL)`.execute(db);
    await enableSoftDelete(db, { table: 'parts' });
    const result = await enableSoftDelete(db, { table: 'items', children: [{ table: 'parts', column: 'item_id', mode: 'cascade' }] });
    expect(result).toMatchObject({
      alreadyEnabled: false,
      base: 'items_all',
      deletedView: 'items_deleted',
      replacedConstraints: ['items_sku_key'],
      rewrittenIndexes: ['items_kind'],
    });
  });

  const insert = async (sku: string, stock: number) =>
    (await sql<{ id: string }>`INSERT INTO items (sku, stock) VALUES (${sku}, ${stock}) RETURNING id`.execute(db)).rows[0]?.id as string;

  it('raw SQL from another connection (count, SUM, join) never counts deleted rows; raw DELETE soft-deletes', async () => {
    const live = await insert('RAW-1', 10);
    const doomed = await insert('RAW-2', 1000);
    await sql`INSERT INTO parts (item_id, label) VALUES (${live}, 'bolt'), (${doomed}, 'nut')`.execute(db);
    const psql = await pg.rawClient();
    const deleted = await psql.query('DELETE FROM items WHERE id = $1', [doomed]);
    expect(deleted.rowCount).toBe(1);
    const totals = await psql.query("SELECT count(*)::int AS n, sum(stock)::int AS stock FROM items WHERE sku LIKE 'RAW-%'");
    expect(totals.rows[0]).toEqual({ n: 1, stock: 10 });
    const joined = await psql.query("SELECT i.sku, p.label FROM items i JOIN parts p ON p.item_id = i.id WHERE i.sku LIKE 'RAW-%'");
    expect(joined.rows).toEqual([{ sku: 'RAW-1', label: 'bolt' }]);
    const star = await psql.query('SELECT * FROM items WHERE id = $1', [doomed]);
    expect(star.rows).toEqual([]);
    expect(Object.keys((await psql.query('SELECT * FROM items LIMIT 1')).rows[0] ?? {})).not.toContain('deleted_at');
    const named = await psql.query(`SELECT sku, deleted_by, deleted_at IS NOT NULL AS gone FROM ${onlyDeleted('items')} WHERE id = $1`, [doomed]);
    expect(named.rows).toEqual([{ sku: 'RAW-2', deleted_by: 'unknown', gone: true }]);
    const all = await psql.query(`SELECT count(*)::int AS n FROM ${withDeleted('items')} WHERE sku LIKE 'RAW-%'`);
    expect(all.rows[0].n).toBe(2);
    const cascaded = await psql.query(`SELECT label FROM ${onlyDeleted('parts')} WHERE item_id = $1`, [doomed]);
    expect(cascaded.rows).toEqual([{ label: 'nut' }]);
  });

  it('records the actor from the transaction context, never from the session', async () => {
    const id = await insert('ACTOR-1', 1);
    await withTransaction(db, async (trx) => {
      await setWriteContext(trx, { actor: 'alice' });
      await sql`DELETE FROM items WHERE id = ${id}`.execute(trx);
    });
    const other = await insert('ACTOR-2', 1);
    await sql`DELETE FROM items WHERE id = ${other}`.execute(db);
    const { rows } = await sql<{ sku: string; deleted_by: string }>`SELECT sku, deleted_by FROM items_deleted WHERE sku LIKE 'ACTOR-%' ORDER BY sku`.execute(
      db,
    );
    expect(rows).toEqual([
      { sku: 'ACTOR-1', deleted_by: 'alice' },
      { sku: 'ACTOR-2', deleted_by: 'unknown' },
    ]);
  });

  it('delete, re-create the same SKU, restore the old one: RESTORE_CONFLICT and nothing changes', async () => {
    const old = await insert('REUSE-1', 1);
    await sql`DELETE FROM items WHERE id = ${old}`.execute(db);
    const fresh = await insert('REUSE-1', 2);
    const err = await caught(() => restore(db, 'items', old));
    expect(err.code).toBe('RESTORE_CONFLICT');
    expect(err.details.constraint).toBe('items_sku_key');
    const { rows } = await sql<{ id: string; live: boolean }>`SELECT id, deleted_at IS NULL AS live FROM items_all WHERE sku = 'REUSE-1' ORDER BY live`.execute(
      db,
    );
    expect(rows).toEqual([
      { id: old, live: false },
      { id: fresh, live: true },
    ]);
  });

  it('32 concurrent creates of one SKU with 5 deleted ghosts: exactly 1 live row and 31 typed conflicts', async () => {
    for (let i = 0; i < 5; i++) await sql`DELETE FROM items WHERE id = ${await insert('GHOST-1', i)}`.execute(db);
    const outcomes = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        sql`INSERT INTO items (sku, stock) VALUES ('GHOST-1', ${i})`.execute(db).then(
          () => 'created',
          (err: StrataError) => err.code,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'UNIQUE_VIOLATION')).toHaveLength(31);
    const { rows } = await sql<{ live: number; ghosts: number }>`
      SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live, count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS ghosts FROM items_all WHERE sku = 'GHOST-1'`.execute(
      db,
    );
    expect(rows[0]).toEqual({ live: 1, ghosts: 5 });
  });

  it('restoring a parent restores only the children deleted with it; no foreign key is nulled', async () => {
    const item = await insert('CASCADE-1', 1);
    await sql`INSERT INTO parts (item_id, label) VALUES (${item}, 'a'), (${item}, 'b'), (${item}, 'c')`.execute(db);
    await sql`DELETE FROM parts WHERE item_id = ${item} AND label = 'a'`.execute(db);
    await sql`DELETE FROM items WHERE id = ${item}`.execute(db);
    const batches = await sql<{
      label: string;
      batch: string;
    }>`SELECT label, deleted_batch AS batch FROM parts_all WHERE item_id = ${item} ORDER BY label`.execute(db);
    const parent = await sql<{ batch: string }>`SELECT deleted_batch AS batch FROM items_all WHERE id = ${item}`.execute(db);
    expect(batches.rows.map((r) => r.batch === parent.rows[0]?.batch)).toEqual([false, true, true]);
    const restored = await restore(db, 'items', item);
    expect(restored).toMatchObject({ id: item, sku: 'CASCADE-1' });
    expect(restored).not.toHaveProperty('deleted_at');
    const live = await sql<{ label: string }>`SELECT label FROM parts WHERE item_id = ${item} ORDER BY label`.execute(db);
    expect(live.rows.map((r) => r.label)).toEqual(['b', 'c']);
    const nulls = await sql<{ n: number }>`SELECT count(*)::int AS n FROM parts_all WHERE item_id IS NULL`.execute(db);
    expect(nulls.rows[0]?.n).toBe(0);
  });

  it('restrict mode refuses to delete a parent with live children (typed FOREIGN_KEY_VIOLATION)', async () => {
    await sql`CREATE TABLE shelves (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL)`.execute(db);
    await sql`CREATE TABLE boxes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), shelf_id uuid NOT NULL REFERENCES shelves (id))`.execute(db);
    await enableSoftDelete(db, { table: 'boxes' });
    await enableSoftDelete(db, { table: 'shelves', children: [{ table: 'boxes', column: 'shelf_id', mode: 'restrict' }] });
    const shelf = (await sql<{ id: string }>`INSERT INTO shelves (name) VALUES ('s') RETURNING id`.execute(db)).rows[0]?.id;
    await sql`INSERT INTO boxes (shelf_id) VALUES (${shelf})`.execute(db);
    const err = await caught(() => sql`DELETE FROM shelves WHERE id = ${shelf}`.execute(db));
    expect(err.code).toBe('FOREIGN_KEY_VIOLATION');
    expect(err.details).toMatchObject({ table: 'boxes', columns: ['shelf_id'] });
    await sql`DELETE FROM boxes WHERE shelf_id = ${shelf}`.execute(db);
    await sql`DELETE FROM shelves WHERE id = ${shelf}`.execute(db);
    expect((await sql`SELECT * FROM shelves WHERE id = ${shelf}`.execute(db)).rows).toEqual([]);
  });

  it('rebuilds unique constraints and indexes for live rows only', async () => {
    const { rows } = await sql<{
      indexname: string;
      indexdef: string;
    }>`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items_all' ORDER BY indexname`.execute(db);
    const defs = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
    expect(defs.items_sku_key).toMatch(/^CREATE UNIQUE INDEX items_sku_key .* WHERE \(deleted_at IS NULL\)$/);
    expect(defs.items_kind).toMatch(/WHERE \(deleted_at IS NULL\)$/);
    expect(defs.items_all_live_pkey).toMatch(/\(id\) WHERE \(deleted_at IS NULL\)$/);
  });

  it('is safe to rerun, and a rerun shows columns added to the base table', async () => {
    await sql`ALTER TABLE items_all ADD COLUMN colour text`.execute(db);
    const again = await enableSoftDelete(db, { table: 'items' });
    expect(again.alreadyEnabled).toBe(true);
    const { rows } = await sql`SELECT colour FROM items LIMIT 1`.execute(db);
    expect(Array.isArray(rows)).toBe(true);
    const id = await insert('AFTER-RERUN', 1);
    await sql`DELETE FROM items WHERE id = ${id}`.execute(db);
    expect((await sql`SELECT 1 FROM items_deleted WHERE id = ${id}`.execute(db)).rows).toHaveLength(1);
    const cascadeKept = await sql<{ children: unknown }>`SELECT children FROM strata.soft_delete_tables WHERE table_name = 'items'`.execute(db);
    expect(cascadeKept.rows[0]?.children).toEqual([{ table: 'parts', column: 'item_id', mode: 'cascade' }]);
  });

  it('refuses tables it cannot convert, with a typed error', async () => {
    await sql`CREATE TABLE keyless (a int)`.execute(db);
    const err = await caught(() => enableSoftDelete(db, { table: 'keyless' }));
    expect(isStrataError(err, 'SOFT_DELETE_SETUP')).toBe(true);
    expect((await caught(() => enableSoftDelete(db, { table: 'nope' }))).code).toBe('SOFT_DELETE_SETUP');
    expect((await caught(() => restore(db, 'notes', '01900000-0000-7000-8000-000000000000'))).code).toBe('SOFT_DELETE_SETUP');
  });
});
