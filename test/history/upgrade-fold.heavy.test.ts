import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';
import { resolveRelations } from '../../src/history/relations.js';
import { historyNames, renderAfterFunction, renderBeforeFunction, renderTriggers } from '../../src/history/render.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { upgradeUnderWriters } from '../support/history-upgrade.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 24 });

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
    await upgradeUnderWriters(db, 'gears');
    expect(await afterEvents(db, 'gears_all')).toEqual({ insert: true, delete: true, update: false });
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
