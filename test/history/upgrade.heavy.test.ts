import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_OPERATION_CHECK, statementDesign } from '../../bench/lib/history-designs.js';
import { withTransaction } from '../../src/db/index.js';
import { resolveRelations } from '../../src/history/relations.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { upgradeUnderWriters } from '../support/history-upgrade.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 24 });

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
    await upgradeUnderWriters(db, 'parts');
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
  }, 240_000);
});
