import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { type Strategy, upsert } from '../../src/upsert/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const STRATEGIES: Strategy[] = ['native', 'merge', 'fallback', 'update-first'];

describe('upsert', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE items (id bigserial PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, price bigint NOT NULL, tags text[] NOT NULL DEFAULT '{}',
      meta jsonb NOT NULL DEFAULT '{}', version int NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL DEFAULT now())`.execute(db);
    await enableHistory(db, { table: 'items' });
  });

  const historyCount = async (sku: string) =>
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM items_history h JOIN items i ON i.id = h.row_id WHERE i.sku = ${sku}`.execute(db)).rows[0]?.n;

  it.each(STRATEGIES)('%s: inserted, then unchanged (no history version), then updated; every branch returns the row', async (strategy) => {
    const sku = `basic-${strategy}`;
    const row = { sku, name: 'Hammer', price: 1999n, tags: ['a'], meta: { colour: 'red' } };
    const [first] = await upsert(db, 'items', row, { key: ['sku'], strategy });
    expect(first).toMatchObject({ action: 'inserted', row: { sku, name: 'Hammer', price: 1999n, version: 1 } });
    const [again] = await upsert(db, 'items', row, { key: ['sku'], strategy });
    expect(again).toMatchObject({ action: 'unchanged', row: { sku, version: 1, id: first?.row.id } });
    expect(await historyCount(sku)).toBe(1);
    const [changed] = await upsert(db, 'items', { ...row, price: 2499n }, { key: ['sku'], strategy });
    expect(changed).toMatchObject({ action: 'updated', row: { price: 2499n, version: 2, id: first?.row.id } });
    expect(await historyCount(sku)).toBe(2);
  });

  it.each(STRATEGIES)('%s: a mixed batch reports each row in input order', async (strategy) => {
    await upsert(db, 'items', [{ sku: `mix-${strategy}-1`, name: 'a', price: 1n }], { key: ['sku'], strategy });
    await upsert(db, 'items', [{ sku: `mix-${strategy}-2`, name: 'b', price: 2n }], { key: ['sku'], strategy });
    const results = await upsert(
      db,
      'items',
      [
        { sku: `mix-${strategy}-3`, name: 'new', price: 3n },
        { sku: `mix-${strategy}-1`, name: 'a', price: 1n },
        { sku: `mix-${strategy}-2`, name: 'b2', price: 2n },
      ],
      { key: ['sku'], strategy },
    );
    expect(results.map((r) => [r.row.sku, r.action])).toEqual([
      [`mix-${strategy}-3`, 'inserted'],
      [`mix-${strategy}-1`, 'unchanged'],
      [`mix-${strategy}-2`, 'updated'],
    ]);
  });

  it('rejects bad batches with typed errors and writes nothing', async () => {
    const before = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM items`.execute(db)).rows[0]?.n;
    const dup = [
      { sku: 'dup-1', name: 'x', price: 1n },
      { sku: 'dup-1', name: 'y', price: 2n },
    ];
    expect((await caught(() => upsert(db, 'items', dup, { key: ['sku'] }))).code).toBe('UPSERT_DUPLICATE_KEY');
    expect((await caught(() => upsert(db, 'items', [{ sku: null, name: 'x', price: 1n }], { key: ['sku'] }))).code).toBe('UPSERT_NULL_KEY');
    expect((await caught(() => upsert(db, 'items', [{ sku: 'k', name: 'x', price: 1n }], { key: ['name'] }))).code).toBe('UPSERT_NO_UNIQUE_INDEX');
    expect((await caught(() => upsert(db, 'items', [{ sku: 'k', nope: 1 }], { key: ['sku'] }))).code).toBe('UPSERT_INVALID_ROWS');
    expect(
      (
        await caught(() =>
          upsert(
            db,
            'items',
            [
              { sku: 'k', name: 'x', price: 1n },
              { sku: 'j', name: 'y' },
            ],
            { key: ['sku'] },
          ),
        )
      ).code,
    ).toBe('UPSERT_INVALID_ROWS');
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM items`.execute(db)).rows[0]?.n).toBe(before);
    const lastWins = await upsert(db, 'items', dup, { key: ['sku'], dedupe: 'last-wins' });
    expect(lastWins).toHaveLength(1);
    expect(lastWins[0]?.row).toMatchObject({ sku: 'dup-1', name: 'y' });
  });

  it('fallback: the failed insert does not abort the surrounding transaction', async () => {
    await upsert(db, 'items', { sku: 'tx-1', name: 'a', price: 1n }, { key: ['sku'] });
    await withTransaction(db, async (trx) => {
      const [r] = await upsert(trx, 'items', { sku: 'tx-1', name: 'b', price: 1n }, { key: ['sku'], strategy: 'fallback' });
      expect(r?.action).toBe('updated');
      await sql`INSERT INTO items (sku, name, price) VALUES ('tx-2', 'after', 1)`.execute(trx);
    });
    const { rows } = await sql<{ sku: string; name: string }>`SELECT sku, name FROM items WHERE sku LIKE 'tx-%' ORDER BY sku`.execute(db);
    expect(rows).toEqual([
      { sku: 'tx-1', name: 'b' },
      { sku: 'tx-2', name: 'after' },
    ]);
  });

  it('auto upserts on a DEFERRABLE unique key (ON CONFLICT refuses it): the fallback, checked at once, not at COMMIT', async () => {
    await sql`CREATE TABLE codes (id bigserial PRIMARY KEY, code text NOT NULL, label text NOT NULL,
      CONSTRAINT codes_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED)`.execute(db);
    expect(await caught(() => upsert(db, 'codes', { code: 'x', label: 'a' }, { key: ['code'], strategy: 'native' }))).toMatchObject({ code: 'DATABASE_ERROR' });
    const [first] = await upsert(db, 'codes', { code: 'x', label: 'a' }, { key: ['code'] });
    expect(first?.action).toBe('inserted');
    const [second] = await withTransaction(db, (trx) => upsert(trx, 'codes', { code: 'x', label: 'b' }, { key: ['code'] }));
    expect(second).toMatchObject({ action: 'updated', row: { id: first?.row.id, label: 'b' } });
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM codes`.execute(db)).rows[0]?.n).toBe(1);
  });

  it('update-first burns no sequence values on repeats (native does)', async () => {
    const seq = async () => (await sql<{ v: string }>`SELECT last_value::text AS v FROM items_id_seq`.execute(db)).rows[0]?.v;
    await upsert(db, 'items', { sku: 'seq-1', name: 'a', price: 1n }, { key: ['sku'], strategy: 'update-first' });
    const start = await seq();
    for (let i = 0; i < 20; i++) await upsert(db, 'items', { sku: 'seq-1', name: `a${i % 2}`, price: 1n }, { key: ['sku'], strategy: 'update-first' });
    expect(await seq()).toBe(start);
    for (let i = 0; i < 5; i++) await upsert(db, 'items', { sku: 'seq-1', name: 'n', price: 1n }, { key: ['sku'], strategy: 'native' });
    expect(Number(await seq())).toBe(Number(start) + 5);
  });

  it("splits a wide table's batch so no statement carries more than 65,535 parameters (99 columns x 1,000 rows: the 1,000-row cap alone would send 99,000)", async () => {
    // Narrow tables never reach the limit (1,000 rows x 65 columns is under it): only the per-column arithmetic protects a wide one.
    const extra = Array.from({ length: 98 }, (_, i) => `c${i}`);
    await sql`CREATE TABLE wide (id bigserial PRIMARY KEY, sku text NOT NULL UNIQUE, ${sql.raw(extra.map((c) => `${c} int NOT NULL`).join(', '))})`.execute(db);
    const rows: Record<string, string | number>[] = Array.from({ length: 1000 }, (_, i) => ({
      sku: `wide-${i}`,
      ...Object.fromEntries(extra.map((c, j) => [c, i + j])),
    }));
    expect(rows.length * Object.keys(rows[0] ?? {}).length).toBeGreaterThan(65_535);
    const results = await upsert(db, 'wide', rows, { key: ['sku'] });
    expect(results.filter((r) => r.action === 'inserted')).toHaveLength(1000);
    const changed = rows.map((r, i) => (i % 2 ? { ...r, c97: -i } : r));
    const again = await upsert(db, 'wide', changed, { key: ['sku'] });
    expect(again.filter((r) => r.action === 'updated')).toHaveLength(500);
    expect(again.filter((r) => r.action === 'unchanged')).toHaveLength(500);
    const stored = await sql<{ n: number; s: string }>`SELECT count(*)::int AS n, sum(c97)::text AS s FROM wide`.execute(db);
    expect(stored.rows[0]).toEqual({ n: 1000, s: String(changed.reduce((a, r) => a + Number(r.c97), 0)) });
  });

  it('a key held only by a soft-deleted row counts as free: a new live row is inserted, the ghost stays deleted', async () => {
    await sql`CREATE TABLE tools (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), sku text NOT NULL UNIQUE, name text NOT NULL)`.execute(db);
    await enableSoftDelete(db, { table: 'tools' });
    for (const strategy of STRATEGIES) {
      const sku = `ghost-${strategy}`;
      const [first] = await upsert(db, 'tools', { sku, name: 'old' }, { key: ['sku'], strategy });
      await sql`DELETE FROM tools WHERE sku = ${sku}`.execute(db);
      const [second] = await upsert(db, 'tools', { sku, name: 'new' }, { key: ['sku'], strategy });
      expect(second?.action).toBe('inserted');
      expect(second?.row.id).not.toBe(first?.row.id);
      expect(second?.row).not.toHaveProperty('deleted_at');
      const { rows } = await sql<{ live: number; deleted: number }>`
        SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live, count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted FROM tools_all WHERE sku = ${sku}`.execute(
        db,
      );
      expect(rows[0]).toEqual({ live: 1, deleted: 1 });
    }
  });
});
