import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkInsert, bulkUpsert, objectSource } from '../../src/bulk/index.js';
import { isStrataError } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';
import { enableSoftDelete, restore } from '../../src/softdelete/index.js';
import { type Strategy, upsert } from '../../src/upsert/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

/** What the test expects of one row: its fields, whether it is deleted or purged, and how many versions it has. */
interface Expected {
  sku: string;
  name: string;
  price: bigint;
  state: 'live' | 'deleted' | 'purged';
  versions: number;
}

const name = fc.constantFrom('a', 'b', 'c');
const price = fc.bigInt({ min: 1n, max: 3n });
const pick = fc.nat();
const incoming = fc.record({ existing: fc.boolean(), pick, name, price });
const op = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), name, price }),
  fc.record({ kind: fc.constant('update' as const), pick, name, price }),
  fc.record({ kind: fc.constant('key-change' as const), pick }),
  fc.record({
    kind: fc.constant('upsert' as const),
    rows: fc.array(incoming, { minLength: 1, maxLength: 4 }),
    strategy: fc.constantFrom<Strategy>('native', 'merge', 'fallback', 'update-first'),
  }),
  fc.record({ kind: fc.constant('bulk-upsert' as const), rows: fc.array(incoming, { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('bulk-insert' as const), rows: fc.array(fc.record({ name, price }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), pick }),
  fc.record({ kind: fc.constant('restore' as const), pick }),
  fc.record({ kind: fc.constant('purge' as const), pick }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

describe('history replays to the current state (issue #20, acceptance 2)', () => {
  let db: Kysely<unknown>;
  let run = 0;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE stock (id uuid PRIMARY KEY, sku text NOT NULL, name text NOT NULL, price bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(), updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), version int NOT NULL DEFAULT 1)`.execute(
      db,
    );
    await sql`CREATE UNIQUE INDEX stock_sku ON stock (sku)`.execute(db);
    await enableSoftDelete(db, { table: 'stock' });
    await enableHistory(db, { table: 'stock' });
  });

  /** Applies one operation to the database and to the expectation. */
  async function apply(o: Op, rows: Map<string, Expected>, prefix: string, serial: { n: number }): Promise<void> {
    const ids = [...rows.keys()];
    const with_ = (state: Expected['state'], p: number) => {
      const candidates = ids.filter((id) => rows.get(id)?.state === state);
      return candidates[p % Math.max(1, candidates.length)];
    };
    const liveBySku = (sku: string) => ids.find((id) => rows.get(id)?.state === 'live' && rows.get(id)?.sku === sku);
    const newSku = () => `${prefix}-${serial.n++}`;
    /** Incoming rows with distinct SKUs: an existing live or deleted row's SKU, or a new one; always a fresh id. */
    const batch = (input: readonly { existing: boolean; pick: number; name: string; price: bigint }[]) => {
      const seen = new Set<string>();
      const out: { id: string; sku: string; name: string; price: bigint }[] = [];
      for (const r of input) {
        const known = r.existing && ids.length > 0 ? rows.get(ids[r.pick % ids.length] as string) : undefined;
        const sku = known && known.state !== 'purged' ? known.sku : newSku();
        if (seen.has(sku)) continue;
        seen.add(sku);
        out.push({ id: uuidv7(), sku, name: r.name, price: r.price });
      }
      return out;
    };
    const merge = (incoming: { id: string; sku: string; name: string; price: bigint }[]) => {
      for (const r of incoming) {
        const id = liveBySku(r.sku);
        const row = id ? rows.get(id) : undefined;
        if (!row) rows.set(r.id, { sku: r.sku, name: r.name, price: r.price, state: 'live', versions: 1 });
        else if (row.name !== r.name || row.price !== r.price) Object.assign(row, { name: r.name, price: r.price, versions: row.versions + 1 });
      }
    };
    switch (o.kind) {
      case 'insert': {
        const id = uuidv7();
        const sku = newSku();
        await sql`INSERT INTO stock (id, sku, name, price) VALUES (${id}, ${sku}, ${o.name}, ${o.price})`.execute(db);
        rows.set(id, { sku, name: o.name, price: o.price, state: 'live', versions: 1 });
        return;
      }
      case 'update': {
        const id = with_('live', o.pick);
        const row = id ? rows.get(id) : undefined;
        if (!id || !row) return;
        await sql`UPDATE stock SET name = ${o.name}, price = ${o.price} WHERE id = ${id}`.execute(db);
        if (row.name !== o.name || row.price !== o.price) Object.assign(row, { name: o.name, price: o.price, versions: row.versions + 1 });
        return;
      }
      case 'key-change': {
        const id = with_('live', o.pick);
        if (!id) return;
        const refused = await sql`UPDATE stock SET id = ${uuidv7()} WHERE id = ${id}`.execute(db).catch((err: unknown) => err);
        expect(isStrataError(refused, 'KEY_CHANGE_REFUSED')).toBe(true);
        return;
      }
      case 'upsert': {
        const incoming = batch(o.rows);
        await upsert(db, 'stock', incoming, { key: ['sku'], strategy: o.strategy });
        merge(incoming);
        return;
      }
      case 'bulk-upsert': {
        const incoming = batch(o.rows);
        const result = await bulkUpsert(pg.database, 'stock', objectSource(incoming), { key: ['sku'] });
        expect(result.error).toBeUndefined();
        merge(incoming);
        return;
      }
      case 'bulk-insert': {
        const incoming = o.rows.map((r) => ({ id: uuidv7(), sku: newSku(), name: r.name, price: r.price }));
        expect((await bulkInsert(pg.database, 'stock', objectSource(incoming))).error).toBeUndefined();
        for (const r of incoming) rows.set(r.id, { sku: r.sku, name: r.name, price: r.price, state: 'live', versions: 1 });
        return;
      }
      case 'delete': {
        const id = with_('live', o.pick);
        const row = id ? rows.get(id) : undefined;
        if (!id || !row) return;
        await sql`DELETE FROM stock WHERE id = ${id}`.execute(db);
        Object.assign(row, { state: 'deleted', versions: row.versions + 1 });
        return;
      }
      case 'restore': {
        const id = with_('deleted', o.pick);
        const row = id ? rows.get(id) : undefined;
        if (!id || !row) return;
        const outcome = await restore(db, 'stock', id).catch((err: unknown) => err);
        if (liveBySku(row.sku)) {
          expect(isStrataError(outcome, 'RESTORE_CONFLICT')).toBe(true);
        } else {
          expect(outcome).toMatchObject({ id, sku: row.sku });
          Object.assign(row, { state: 'live', versions: row.versions + 1 });
        }
        return;
      }
      case 'purge': {
        const id = with_('deleted', o.pick);
        const row = id ? rows.get(id) : undefined;
        if (!id || !row) return;
        await sql`DELETE FROM stock_all WHERE id = ${id}`.execute(db);
        Object.assign(row, { state: 'purged', versions: row.versions + 1 });
        return;
      }
    }
  }

  it('after any mix of writes, every row has versions 1..N, its last version is its current row, and each version’s stamps are its valid_from', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (ops) => {
        const prefix = `r${run++}`;
        const rows = new Map<string, Expected>();
        const serial = { n: 0 };
        for (const o of ops) await apply(o, rows, prefix, serial);
        const ids = [...rows.keys()];
        const { rows: found } = await sql<{
          id: string;
          versions: number[];
          operations: string[];
          last: Record<string, unknown> | null;
          current: Record<string, unknown> | null;
          stamped: boolean;
          ordered: boolean;
        }>`
          SELECT h.row_id AS id, array_agg(h.version ORDER BY h.version) AS versions, array_agg(h.operation ORDER BY h.version) AS operations,
                 (array_agg(h.data ORDER BY h.version DESC))[1] AS last, (SELECT to_jsonb(t.*) FROM stock_all t WHERE t.id = h.row_id) AS current,
                 bool_and(h.data IS NULL OR ((h.data->>'updated_at')::timestamptz = h.valid_from
                          AND (h.data->>'created_at')::timestamptz = (SELECT f.valid_from FROM stock_history f WHERE f.row_id = h.row_id AND f.version = 1))) AS stamped,
                 bool_and(h.valid_from >= coalesce((SELECT p.valid_from FROM stock_history p WHERE p.row_id = h.row_id AND p.version = h.version - 1), '-infinity')) AS ordered
            FROM stock_history h WHERE h.row_id = ANY(${ids}::uuid[]) GROUP BY h.row_id`.execute(db);
        expect(found.map((f) => f.id).sort()).toEqual([...ids].sort());
        for (const f of found) {
          const want = rows.get(f.id) as Expected;
          expect(f.versions).toEqual(Array.from({ length: want.versions }, (_, i) => i + 1));
          expect(f.operations[0]).toBe('insert');
          expect(f.stamped && f.ordered).toBe(true);
          if (want.state === 'purged') {
            expect([f.current, f.last, f.operations.at(-1)]).toEqual([null, null, 'purge']);
            continue;
          }
          expect(f.last).toEqual(f.current);
          expect(f.current).toMatchObject({ sku: want.sku, name: want.name, price: Number(want.price), version: want.versions });
          expect(f.current?.deleted_at === null).toBe(want.state === 'live');
        }
      }),
      { numRuns: 40 },
    );
  }, 300_000);
});
