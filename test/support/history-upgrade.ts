import { type Kysely, sql } from 'kysely';
import { expect } from 'vitest';
import { setWriteContext, withTransaction } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';

type Op = 'insert' | 'update' | 'delete' | 'restore';

/**
 * The in-place upgrade check shared by the history upgrade tests: `table` (soft-deleted, with
 * `title`, `n` and `version` columns, history installed in some earlier design) gets 32 rows, then
 * 16 writers insert, update, no-op update, delete and restore 3,000 times while `enableHistory`
 * runs halfway through. Asserts every committed change was versioned exactly once, before and after
 * the upgrade, with gap-free versions whose last image is the stored row.
 */
export async function upgradeUnderWriters(db: Kysely<unknown>, table: string): Promise<void> {
  const live = sql.table(table);
  const all = sql.table(`${table}_all`);
  const ids: string[] = [];
  for (let i = 0; i < 32; i++)
    ids.push((await sql<{ id: string }>`INSERT INTO ${live} (title) VALUES (${`r${i}`}) RETURNING id`.execute(db)).rows[0]?.id as string);
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
          const row = await sql<{ id: string }>`INSERT INTO ${live} (title) VALUES (${actor}) RETURNING id`.execute(trx);
          const created = row.rows[0]?.id as string;
          ids.push(created);
          log.push({ id: created, actor, op: 'insert', after });
        } else if (roll < 0.75) {
          const r = await sql`UPDATE ${live} SET n = n + 1 WHERE id = ${id}`.execute(trx);
          if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'update', after });
        } else if (roll < 0.85) {
          await sql`UPDATE ${live} SET title = title WHERE id = ${id}`.execute(trx);
        } else if (roll < 0.93) {
          const r = await sql`DELETE FROM ${live} WHERE id = ${id}`.execute(trx);
          if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'delete', after });
        } else {
          const r = await sql`UPDATE ${all} SET deleted_at = NULL, deleted_by = NULL, deleted_batch = NULL WHERE id = ${id} AND deleted_at IS NOT NULL`.execute(
            trx,
          );
          if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'restore', after });
        }
      });
    }
  };
  const upgrade = async () => {
    while (done < TOTAL / 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await enableHistory(db, { table });
    upgraded = true;
  };
  await Promise.all([...Array.from({ length: 16 }, (_, w) => worker(w)), upgrade()]);

  expect(log.filter((e) => !e.after).length).toBeGreaterThan(100);
  expect(log.filter((e) => e.after).length).toBeGreaterThan(100);
  const history = sql.table(`${table}_history`);
  const { rows } = await sql<{ row_id: string; version: number; operation: string; actor: string }>`
    SELECT row_id, version, operation, actor FROM ${history} WHERE actor LIKE 'writer-%' ORDER BY row_id, version`.execute(db);
  const key = (e: { id?: string; row_id?: string; actor: string; op?: string; operation?: string }) => `${e.id ?? e.row_id}|${e.actor}|${e.op ?? e.operation}`;
  const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  expect(count(rows.map(key))).toEqual(count(log.map(key)));
  const versions = await sql<{ id: string; version: number; versions: number[]; last: Record<string, unknown>; current: Record<string, unknown> }>`
    SELECT t.id, t.version, array_agg(h.version ORDER BY h.version) AS versions,
           (array_agg(h.data ORDER BY h.version DESC))[1] AS last, to_jsonb(t.*) AS current
      FROM ${all} t JOIN ${history} h ON h.row_id = t.id GROUP BY t.id`.execute(db);
  expect(versions.rows).toHaveLength(ids.length);
  for (const row of versions.rows) {
    expect(row.versions).toEqual(Array.from({ length: row.version }, (_, i) => i + 1));
    expect(row.last).toEqual(row.current);
  }
}
