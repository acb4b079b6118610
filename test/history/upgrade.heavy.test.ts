import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_OPERATION_CHECK, statementDesign } from '../../bench/lib/history-designs.js';
import { setWriteContext, withTransaction } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';
import { resolveRelations } from '../../src/history/relations.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 24 });

type Op = 'insert' | 'update' | 'delete' | 'restore';

describe('upgrading statement-level history triggers in place', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE parts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, n int NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(), updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), version int NOT NULL DEFAULT 1)`.execute(
      db,
    );
    await enableSoftDelete(db, { table: 'parts' });
    await withTransaction(db, async (trx) => {
      const r = await resolveRelations(trx, 'parts');
      await sql`CREATE TABLE parts_history (row_id uuid NOT NULL, version integer NOT NULL, operation text NOT NULL CHECK (${sql.raw(LEGACY_OPERATION_CHECK)}),
        valid_from timestamptz NOT NULL, actor text NOT NULL, request_id text, txid bigint NOT NULL, data jsonb, PRIMARY KEY (row_id, version))`.execute(trx);
      for (const statement of statementDesign(r)) await sql.raw(statement).execute(trx);
    });
  });

  const triggers = async () =>
    (
      await sql<{ name: string }>`SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'parts_all'::regclass AND NOT tgisinternal ORDER BY 1`.execute(db)
    ).rows.map((r) => r.name);

  it('enableHistory replaces them while 16 writers run: every committed change is versioned exactly once, before and after', async () => {
    expect(await triggers()).toEqual(['parts_history_before', 'parts_history_delete', 'parts_history_insert', 'parts_history_update']);
    const ids: string[] = [];
    for (let i = 0; i < 32; i++)
      ids.push((await sql<{ id: string }>`INSERT INTO parts (title) VALUES (${`p${i}`}) RETURNING id`.execute(db)).rows[0]?.id as string);
    const log: { id: string; actor: string; op: Op; after: boolean }[] = [];
    let upgraded = false;
    let done = 0;
    const TOTAL = 3000;
    const worker = async (w: number) => {
      const actor = `writer-${w}`;
      while (done < TOTAL) {
        done++;
        const roll = Math.random();
        const id = ids[Math.floor(Math.random() * ids.length)] as string;
        const after = upgraded;
        await withTransaction(db, async (trx) => {
          await setWriteContext(trx, { actor });
          if (roll < 0.05) {
            const row = await sql<{ id: string }>`INSERT INTO parts (title) VALUES (${actor}) RETURNING id`.execute(trx);
            const created = row.rows[0]?.id as string;
            ids.push(created);
            log.push({ id: created, actor, op: 'insert', after });
          } else if (roll < 0.75) {
            const r = await sql`UPDATE parts SET n = n + 1 WHERE id = ${id}`.execute(trx);
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'update', after });
          } else if (roll < 0.85) {
            await sql`UPDATE parts SET title = title WHERE id = ${id}`.execute(trx);
          } else if (roll < 0.93) {
            const r = await sql`DELETE FROM parts WHERE id = ${id}`.execute(trx);
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'delete', after });
          } else {
            const r =
              await sql`UPDATE parts_all SET deleted_at = NULL, deleted_by = NULL, deleted_batch = NULL WHERE id = ${id} AND deleted_at IS NOT NULL`.execute(
                trx,
              );
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'restore', after });
          }
        });
      }
    };
    const upgrade = async () => {
      while (done < TOTAL / 2) await new Promise((resolve) => setTimeout(resolve, 5));
      await enableHistory(db, { table: 'parts' });
      upgraded = true;
    };
    await Promise.all([...Array.from({ length: 16 }, (_, w) => worker(w)), upgrade()]);

    expect(await triggers()).toEqual(['parts_history_after', 'parts_history_before']);
    const legacy = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE 'strata_history_parts_%' AND proname NOT IN ('strata_history_parts_before', 'strata_history_parts_after')`.execute(
      db,
    );
    expect(legacy.rows[0]?.n).toBe(0);
    const checks = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'parts_history'::regclass AND contype = 'c'`.execute(
      db,
    );
    expect(checks.rows[0]?.n).toBe(0);
    expect(log.filter((e) => !e.after).length).toBeGreaterThan(100);
    expect(log.filter((e) => e.after).length).toBeGreaterThan(100);

    const { rows } = await sql<{ row_id: string; version: number; operation: string; actor: string }>`
      SELECT row_id, version, operation, actor FROM parts_history WHERE actor LIKE 'writer-%' ORDER BY row_id, version`.execute(db);
    const key = (e: { id?: string; row_id?: string; actor: string; op?: string; operation?: string }) =>
      `${e.id ?? e.row_id}|${e.actor}|${e.op ?? e.operation}`;
    const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
    expect(count(rows.map(key))).toEqual(count(log.map(key)));
    const all = await sql<{ id: string; version: number; versions: number[]; last: Record<string, unknown>; current: Record<string, unknown> }>`
      SELECT t.id, t.version, array_agg(h.version ORDER BY h.version) AS versions,
             (array_agg(h.data ORDER BY h.version DESC))[1] AS last, to_jsonb(t.*) AS current
        FROM parts_all t JOIN parts_history h ON h.row_id = t.id GROUP BY t.id`.execute(db);
    expect(all.rows).toHaveLength(ids.length);
    for (const row of all.rows) {
      expect(row.versions).toEqual(Array.from({ length: row.version }, (_, i) => i + 1));
      expect(row.last).toEqual(row.current);
    }
  }, 240_000);
});
