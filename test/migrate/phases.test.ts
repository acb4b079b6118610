import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { enableHistory, listVersions } from '../../src/history/index.js';
import {
  completeMigration,
  defineMigration,
  migrationStatus,
  type NamedMigration,
  planMigration,
  rollbackMigration,
  startMigration,
  versionSchema,
} from '../../src/migrate/index.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { usePostgres } from '../support/postgres.js';

const items = (suffix: string) => `items_${suffix}`;

async function setUp(db: Kysely<unknown>, table: string): Promise<void> {
  await sql
    .raw(`CREATE TABLE ${table} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), label text NOT NULL, qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
      note text, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), version integer NOT NULL DEFAULT 1)`)
    .execute(db);
  await sql.raw(`CREATE INDEX ${table}_qty ON ${table} (qty)`).execute(db);
  await sql.raw(`INSERT INTO ${table} (label, qty, note) SELECT 'item ' || g, g, 'n' || g FROM generate_series(1, 500) g`).execute(db);
  await enableSoftDelete(db, { table });
  await enableHistory(db, { table });
}

describe('expand and complete on a soft-delete, history-enabled table', () => {
  const pg = usePostgres();
  const rows = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(pg.database.db)).rows;
  it('rename + int -> bigint: both versions read and write, complete renames in place, history reads under new names', async () => {
    const table = items('a');
    await setUp(pg.database.db, table);
    const migration: NamedMigration = {
      name: '0001_qty_bigint',
      migration: defineMigration({
        operations: [
          { op: 'rename_column', table, from: 'note', to: 'remark' },
          { op: 'alter_column', table, column: 'qty', type: 'bigint' },
        ],
      }),
    };
    const deleted = (await rows(`SELECT id FROM ${table} ORDER BY id LIMIT 1`))[0]?.id as string;
    await sql.raw(`DELETE FROM ${table} WHERE id = '${deleted}'`).execute(pg.database.db);
    const before = (await rows(`SELECT id FROM ${table} ORDER BY id LIMIT 1`))[0]?.id as string;
    const started = await startMigration(pg.database.db, [migration]);
    expect(started.error).toBeUndefined();
    const v = versionSchema('public', migration.name);
    // The new version: renamed column, bigint qty, deleted rows hidden, backfilled.
    const shape = await rows(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '${v}' AND table_name = '${table}' ORDER BY ordinal_position`,
    );
    expect(shape.map((c) => `${c.column_name}:${c.data_type}`)).toEqual(expect.arrayContaining(['remark:text', 'qty:bigint', 'label:text']));
    expect(shape.map((c) => c.column_name)).not.toContain('note');
    expect(await rows(`SELECT count(*)::int AS n FROM "${v}".${table}`)).toEqual([{ n: 499 }]);
    expect(await rows(`SELECT count(*)::int AS n FROM "${v}".${table} WHERE qty IS NULL`)).toEqual([{ n: 0 }]);
    // Old version writes: the new version sees them.
    await sql.raw(`UPDATE ${table} SET qty = 4242, note = 'old' WHERE id = '${before}'`).execute(pg.database.db);
    expect(await rows(`SELECT qty::int AS qty, remark FROM "${v}".${table} WHERE id = '${before}'`)).toEqual([{ qty: 4242, remark: 'old' }]);
    // New version writes: the old version sees them.
    await sql.raw(`UPDATE "${v}".${table} SET qty = 3000000000 - 2999990000, remark = 'new' WHERE id = '${before}'`).execute(pg.database.db);
    expect(await rows(`SELECT qty, note FROM ${table} WHERE id = '${before}'`)).toEqual([{ qty: 10000, note: 'new' }]);
    await sql.raw(`INSERT INTO "${v}".${table} (label, qty, remark) VALUES ('fresh', 7, 'r')`).execute(pg.database.db);
    expect(await rows(`SELECT qty, note FROM ${table} WHERE label = 'fresh'`)).toEqual([{ qty: 7, note: 'r' }]);
    await sql.raw(`INSERT INTO ${table} (label, qty, note) VALUES ('stale', 8, 's')`).execute(pg.database.db);
    expect(await rows(`SELECT qty::int AS qty, remark FROM "${v}".${table} WHERE label = 'stale'`)).toEqual([{ qty: 8, remark: 's' }]);
    // Deletes through the new version soft-delete.
    await sql.raw(`DELETE FROM "${v}".${table} WHERE label = 'stale'`).execute(pg.database.db);
    expect(await rows(`SELECT count(*)::int AS n FROM ${table}_all WHERE label = 'stale' AND deleted_at IS NOT NULL`)).toEqual([{ n: 1 }]);
    // The CHECK holds on the new version too.
    await expect(sql.raw(`UPDATE "${v}".${table} SET qty = -1 WHERE id = '${before}'`).execute(pg.database.db)).rejects.toMatchObject({
      code: 'CHECK_VIOLATION',
    });

    const completed = await completeMigration(pg.database.db, [migration]);
    expect(completed.error).toBeUndefined();
    const after = await rows(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position`,
    );
    expect(after.map((c) => `${c.column_name}:${c.data_type}`)).toEqual(expect.arrayContaining(['remark:text', 'qty:bigint']));
    expect(after.map((c) => c.column_name)).not.toContain('note');
    expect(await rows(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 500 }]);
    expect(await rows(`SELECT indexname FROM pg_indexes WHERE tablename = '${table}_all' AND indexname = '${table}_qty'`)).toHaveLength(1);
    await expect(sql.raw(`UPDATE ${table} SET qty = -1 WHERE id = '${before}'`).execute(pg.database.db)).rejects.toMatchObject({ code: 'CHECK_VIOLATION' });
    await sql.raw(`UPDATE ${table} SET remark = 'after' WHERE id = '${before}'`).execute(pg.database.db);
    const { versions } = await listVersions(pg.database.db, table, before);
    expect(versions.map((x) => x.data?.remark)).toEqual(['n1'.replace('1', String(versions[0]?.data?.label).split(' ')[1] ?? ''), 'old', 'new', 'after']);
    expect(versions.every((x) => x.data && !('note' in x.data) && !Object.keys(x.data).some((k) => k.startsWith('_strata_')))).toBe(true);
    const status = await migrationStatus(pg.database.db, [migration]);
    expect(status).toEqual([expect.objectContaining({ name: migration.name, state: 'completed', checksumMatches: true })]);
  });
});

describe('rollback', () => {
  const pg = usePostgres();
  const rows = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(pg.database.db)).rows;
  it('rollback mid-way restores the old shape and keeps every row the old version wrote', async () => {
    const table = items('b');
    await setUp(pg.database.db, table);
    const migration: NamedMigration = {
      name: '0001_b',
      migration: defineMigration({
        operations: [
          { op: 'alter_column', table, column: 'qty', type: 'bigint', rename: 'quantity' },
          { op: 'add_column', table, column: { name: 'sku', type: 'text', nullable: false }, up: "'SKU-' || label" },
        ],
      }),
    };
    expect((await startMigration(pg.database.db, [migration])).error).toBeUndefined();
    const v = versionSchema('public', migration.name);
    expect(
      await rows(`SELECT count(*)::int AS n FROM "${v}".${table} WHERE sku = 'SKU-' || label AND quantity = 1 + (split_part(label, ' ', 2)::int - 1)`),
    ).toEqual([{ n: 500 }]);
    await sql.raw(`INSERT INTO ${table} (label, qty) VALUES ('during', 5)`).execute(pg.database.db);
    expect(await rows(`SELECT sku FROM "${v}".${table} WHERE label = 'during'`)).toEqual([{ sku: 'SKU-during' }]);
    const result = await rollbackMigration(pg.database.db, [migration]);
    expect(result.error).toBeUndefined();
    const cols = await rows(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '${table}_all'`);
    expect(cols.map((c) => c.column_name)).not.toContain('sku');
    expect(cols.map((c) => c.column_name).some((c) => String(c).startsWith('_strata_'))).toBe(false);
    expect(await rows(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 501 }]);
    expect(await rows(`SELECT nspname FROM pg_namespace WHERE nspname = '${v}'`)).toEqual([]);
    const status = await migrationStatus(pg.database.db, [migration]);
    expect(status[0]?.state).toBe('rolled_back');
    // It can start again afterwards.
    expect((await startMigration(pg.database.db, [migration])).error).toBeUndefined();
    expect((await completeMigration(pg.database.db, [migration])).error).toBeUndefined();
    expect(await rows(`SELECT count(*)::int AS n FROM ${table} WHERE sku IS NOT NULL AND quantity IS NOT NULL`)).toEqual([{ n: 501 }]);
  });
});

describe('a column with a foreign key filled by the backfill', () => {
  const pg = usePostgres();
  const rows = async (text: string) => (await sql.raw<Record<string, unknown>>(text).execute(pg.database.db)).rows;
  it('gets its key (NOT VALID) after the backfill, validated, enforced for both versions, kept by complete', async () => {
    await sql.raw('CREATE TABLE fk_groups (id integer PRIMARY KEY)').execute(pg.database.db);
    await sql.raw('INSERT INTO fk_groups SELECT generate_series(1, 10)').execute(pg.database.db);
    await sql.raw('CREATE TABLE fk_items (id bigint PRIMARY KEY, qty integer NOT NULL)').execute(pg.database.db);
    await sql.raw('INSERT INTO fk_items SELECT g, g FROM generate_series(1, 300) g').execute(pg.database.db);
    const declared = defineMigration({
      operations: [
        {
          op: 'add_column',
          table: 'fk_items',
          column: { name: 'group_id', type: 'integer', references: { table: 'fk_groups', column: 'id' } },
          up: '(qty % 10) + 1',
        },
      ],
    });
    const migration: NamedMigration = { name: '0001_fk', migration: declared };
    // Without the key on the column while the backfill runs, no row of it runs the key's check.
    const plan = await planMigration(pg.database.db, migration.name, declared);
    const at = (pattern: RegExp) => plan.start.findIndex((s) => pattern.test(s.description));
    expect(at(/^backfill fk_items$/)).toBeGreaterThan(-1);
    expect(at(/^foreign key on fk_items\.group_id/)).toBeGreaterThan(at(/^backfill fk_items$/));
    expect(at(/^validate foreign key on fk_items\.group_id/)).toBeGreaterThan(at(/^foreign key on fk_items\.group_id/));
    expect((await startMigration(pg.database.db, [migration])).error).toBeUndefined();
    expect(await rows(`SELECT convalidated FROM pg_constraint WHERE conrelid = 'fk_items'::regclass AND contype = 'f'`)).toEqual([{ convalidated: true }]);
    expect(await rows('SELECT count(*)::int AS n FROM fk_items WHERE group_id = (qty % 10) + 1')).toEqual([{ n: 300 }]);
    const v = versionSchema('public', migration.name);
    await expect(sql.raw(`INSERT INTO "${v}".fk_items (id, qty, group_id) VALUES (1001, 1, 99)`).execute(pg.database.db)).rejects.toMatchObject({
      code: 'FOREIGN_KEY_VIOLATION',
    });
    await sql.raw('INSERT INTO fk_items (id, qty) VALUES (1002, 4)').execute(pg.database.db);
    expect(await rows('SELECT group_id FROM fk_items WHERE id = 1002')).toEqual([{ group_id: 5 }]);
    expect((await completeMigration(pg.database.db, [migration])).error).toBeUndefined();
    await expect(sql.raw('UPDATE fk_items SET group_id = 99 WHERE id = 1').execute(pg.database.db)).rejects.toMatchObject({ code: 'FOREIGN_KEY_VIOLATION' });
  });
});
