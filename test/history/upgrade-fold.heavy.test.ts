import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { setWriteContext, withTransaction } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';
import { resolveRelations } from '../../src/history/relations.js';
import { historyNames, renderAfterFunction, renderBeforeFunction, renderTriggers } from '../../src/history/render.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 24 });

type Op = 'insert' | 'update' | 'delete' | 'restore';

/** Which events strata's AFTER history trigger of `table` fires on (pg_trigger.tgtype bits). */
async function afterEvents(db: Kysely<unknown>, table: string) {
  const { rows } = await sql<{
    tgtype: number;
  }>`SELECT tgtype FROM pg_trigger WHERE tgrelid = ${table}::regclass AND tgname = ${`${table.replace(/_all$/, '')}_history_after`}`.execute(db);
  const t = rows[0]?.tgtype ?? 0;
  return { insert: (t & 4) !== 0, delete: (t & 8) !== 0, update: (t & 16) !== 0 };
}

/** Installs the row-level design strata shipped before issue #28: every version, updates included, written by the AFTER trigger. */
async function installAfterDesign(db: Kysely<unknown>, table: string) {
  await enableHistory(db, { table });
  await withTransaction(db, async (trx) => {
    const r = await resolveRelations(trx, table);
    const n = historyNames(r);
    for (const s of [renderBeforeFunction(r, n.before), renderAfterFunction(r, n.after), ...renderTriggers(r)]) await sql.raw(s).execute(trx);
  });
}

describe('upgrading the AFTER-trigger capture to the BEFORE-trigger write of updates', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE gears (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, n int NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(), updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), version int NOT NULL DEFAULT 1)`.execute(
      db,
    );
    await enableSoftDelete(db, { table: 'gears' });
    await installAfterDesign(db, 'gears');
  });

  it('enableHistory swaps the triggers while 16 writers run: every committed change is versioned exactly once, before and after', async () => {
    expect(await afterEvents(db, 'gears_all')).toEqual({ insert: true, delete: true, update: true });
    const ids: string[] = [];
    for (let i = 0; i < 32; i++)
      ids.push((await sql<{ id: string }>`INSERT INTO gears (title) VALUES (${`g${i}`}) RETURNING id`.execute(db)).rows[0]?.id as string);
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
            const row = await sql<{ id: string }>`INSERT INTO gears (title) VALUES (${actor}) RETURNING id`.execute(trx);
            const created = row.rows[0]?.id as string;
            ids.push(created);
            log.push({ id: created, actor, op: 'insert', after });
          } else if (roll < 0.75) {
            const r = await sql`UPDATE gears SET n = n + 1 WHERE id = ${id}`.execute(trx);
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'update', after });
          } else if (roll < 0.85) {
            await sql`UPDATE gears SET title = title WHERE id = ${id}`.execute(trx);
          } else if (roll < 0.93) {
            const r = await sql`DELETE FROM gears WHERE id = ${id}`.execute(trx);
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'delete', after });
          } else {
            const r =
              await sql`UPDATE gears_all SET deleted_at = NULL, deleted_by = NULL, deleted_batch = NULL WHERE id = ${id} AND deleted_at IS NOT NULL`.execute(
                trx,
              );
            if (r.numAffectedRows === 1n) log.push({ id, actor, op: 'restore', after });
          }
        });
      }
    };
    const upgrade = async () => {
      while (done < TOTAL / 2) await new Promise((resolve) => setTimeout(resolve, 5));
      await enableHistory(db, { table: 'gears' });
      upgraded = true;
    };
    await Promise.all([...Array.from({ length: 16 }, (_, w) => worker(w)), upgrade()]);

    expect(await afterEvents(db, 'gears_all')).toEqual({ insert: true, delete: true, update: false });
    expect(log.filter((e) => !e.after).length).toBeGreaterThan(100);
    expect(log.filter((e) => e.after).length).toBeGreaterThan(100);
    const { rows } = await sql<{ row_id: string; version: number; operation: string; actor: string }>`
      SELECT row_id, version, operation, actor FROM gears_history WHERE actor LIKE 'writer-%' ORDER BY row_id, version`.execute(db);
    const key = (e: { id?: string; row_id?: string; actor: string; op?: string; operation?: string }) =>
      `${e.id ?? e.row_id}|${e.actor}|${e.op ?? e.operation}`;
    const count = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
    expect(count(rows.map(key))).toEqual(count(log.map(key)));
    const all = await sql<{ id: string; version: number; versions: number[]; last: Record<string, unknown>; current: Record<string, unknown> }>`
      SELECT t.id, t.version, array_agg(h.version ORDER BY h.version) AS versions,
             (array_agg(h.data ORDER BY h.version DESC))[1] AS last, to_jsonb(t.*) AS current
        FROM gears_all t JOIN gears_history h ON h.row_id = t.id GROUP BY t.id`.execute(db);
    expect(all.rows).toHaveLength(ids.length);
    for (const row of all.rows) {
      expect(row.versions).toEqual(Array.from({ length: row.version }, (_, i) => i + 1));
      expect(row.last).toEqual(row.current);
    }
  }, 240_000);

  it("a table with a generated column, or a BEFORE UPDATE trigger firing after strata's, keeps the AFTER trigger: the image is the stored row", async () => {
    await sql`CREATE TABLE boxes (id int PRIMARY KEY, w int NOT NULL, area int GENERATED ALWAYS AS (w * w) STORED, version int NOT NULL DEFAULT 1)`.execute(db);
    await sql`CREATE TABLE crates (id int PRIMARY KEY, label text NOT NULL, version int NOT NULL DEFAULT 1)`.execute(db);
    await sql`CREATE FUNCTION crates_upper() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.label := upper(NEW.label); RETURN NEW; END $$`.execute(db);
    await sql`CREATE TRIGGER crates_upper BEFORE UPDATE ON crates FOR EACH ROW EXECUTE FUNCTION crates_upper()`.execute(db);
    for (const table of ['boxes', 'crates']) await enableHistory(db, { table });
    expect(await afterEvents(db, 'boxes')).toEqual({ insert: true, delete: true, update: true });
    expect(await afterEvents(db, 'crates')).toEqual({ insert: true, delete: true, update: true });
    await sql`INSERT INTO boxes (id, w) VALUES (1, 2)`.execute(db);
    await sql`UPDATE boxes SET w = 3 WHERE id = 1`.execute(db);
    await sql`INSERT INTO crates (id, label) VALUES (1, 'a')`.execute(db);
    await sql`UPDATE crates SET label = 'b' WHERE id = 1`.execute(db);
    const last = async (table: string) =>
      (
        await sql<{ data: Record<string, unknown> }>`SELECT data FROM ${sql.table(`${table}_history`)} WHERE row_id = 1 ORDER BY version DESC LIMIT 1`.execute(
          db,
        )
      ).rows[0]?.data;
    expect(await last('boxes')).toEqual({ id: 1, w: 3, area: 9, version: 2 });
    expect(await last('crates')).toEqual({ id: 1, label: 'B', version: 2 });
    // Without them, updates are versioned by the BEFORE trigger; rerunning enableHistory after dropping the column switches.
    await sql`ALTER TABLE boxes DROP COLUMN area`.execute(db);
    await enableHistory(db, { table: 'boxes' });
    expect(await afterEvents(db, 'boxes')).toEqual({ insert: true, delete: true, update: false });
    await sql`UPDATE boxes SET w = 4 WHERE id = 1`.execute(db);
    expect(await last('boxes')).toEqual({ id: 1, w: 4, version: 3 });
  });
});
