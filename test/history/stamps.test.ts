import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableHistory } from '../../src/history/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

interface Stamped {
  created_at: string;
  updated_at: string;
  valid_from: string;
  version: number;
}

describe('one instant stamps created_at, updated_at and valid_from', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE dated (id int PRIMARY KEY, n int NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`.execute(
      db,
    );
    await enableHistory(db, { table: 'dated' });
    await sql`CREATE TABLE undated (id int PRIMARY KEY, n int NOT NULL)`.execute(db);
    await enableHistory(db, { table: 'undated' });
  });

  const latest = async (id: number) =>
    (
      await sql<Stamped>`
        SELECT t.created_at::text, t.updated_at::text, h.valid_from::text, t.version FROM dated t
          JOIN dated_history h ON h.row_id = t.id AND h.version = t.version WHERE t.id = ${id}`.execute(db)
    ).rows[0] as Stamped;

  it('the writer’s created_at and updated_at are replaced on insert, and created_at is kept on update', async () => {
    await sql`INSERT INTO dated (id, n, created_at, updated_at) VALUES (1, 0, '2001-01-01T00:00:00Z', '2001-01-01T00:00:00Z')`.execute(db);
    const inserted = await latest(1);
    expect(inserted.created_at).toBe(inserted.valid_from);
    expect(inserted.updated_at).toBe(inserted.valid_from);
    expect(inserted.valid_from.startsWith('2001')).toBe(false);

    await sql`UPDATE dated SET n = 1, created_at = '2001-01-01T00:00:00Z', updated_at = '2001-01-01T00:00:00Z' WHERE id = 1`.execute(db);
    const updated = await latest(1);
    expect(updated).toMatchObject({ version: 2, created_at: inserted.created_at });
    expect(updated.updated_at).toBe(updated.valid_from);
    expect(new Date(updated.valid_from).getTime()).toBeGreaterThanOrEqual(new Date(inserted.valid_from).getTime());

    const noop = await sql`UPDATE dated SET created_at = '2001-01-01T00:00:00Z' WHERE id = 1`.execute(db);
    expect(noop.numAffectedRows).toBe(0n);
    expect(await latest(1)).toEqual(updated);
  });

  it('a table without stamp columns is versioned with the clock', async () => {
    await sql`INSERT INTO undated (id, n) VALUES (1, 0)`.execute(db);
    await sql`UPDATE undated SET n = 1 WHERE id = 1`.execute(db);
    const { rows } = await sql<{ version: number; valid_from: Date }>`SELECT version, valid_from FROM undated_history ORDER BY version`.execute(db);
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect((rows[1]?.valid_from.getTime() ?? 0) >= (rows[0]?.valid_from.getTime() ?? 0)).toBe(true);
  });
});
