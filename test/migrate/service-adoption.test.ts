import { type Kysely, type MigrationProvider, Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { ensureStrataSchema } from '../../src/db/index.js';
import { listVersions } from '../../src/history/index.js';
import { isDeclarative, migrationStatus } from '../../src/migrate/index.js';
import { migrateService } from '../../src/service/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

/** What `strata serve` ran before the engine existed: Kysely's Migrator over the code migrations. */
async function migrateWithKysely(db: Kysely<unknown>): Promise<void> {
  const legacy = Object.fromEntries(migrations.filter((m) => !isDeclarative(m.migration)).map((m) => [m.name, m.migration]));
  const provider: MigrationProvider = { getMigrations: async () => legacy as never };
  await ensureStrataSchema(db);
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
}

describe('the service schema moves onto strata migrate', () => {
  it('adopts a database Kysely migrated (nothing re-run, nothing lost), then retypes stock and renames supplier_ref online', async () => {
    const db = pg.database.db as Kysely<unknown>;
    await migrateWithKysely(db);
    const id = '0193a0c2-0000-7000-8000-000000000001';
    await sql`INSERT INTO products (id, sku, name, price, currency, stock, supplier_ref) VALUES (${id}, 'A-1', 'Anvil', 1999, 'EUR', 3, 'ACME-7')`.execute(db);
    await sql`UPDATE products SET stock = 2 WHERE id = ${id}`.execute(db);
    await sql`INSERT INTO products (id, sku, name, price, currency) VALUES ('0193a0c2-0000-7000-8000-000000000002', 'A-2', 'Gone', 5, 'EUR')`.execute(db);
    await sql`DELETE FROM products WHERE sku = 'A-2'`.execute(db);
    const historyBefore = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM products_history`.execute(db)).rows[0]?.n;

    const report = await migrateService(db);
    expect(report.applied).toEqual(['0006_products_stock_bigint']);
    const status = await migrationStatus(db, migrations);
    expect(status.map((s) => [s.name, s.state, s.adopted])).toEqual([
      ['0001_products', 'completed', true],
      ['0002_products_soft_delete', 'completed', true],
      ['0003_products_history', 'completed', true],
      ['0004_idempotency_keys', 'completed', true],
      ['0005_products_history_row_triggers', 'completed', true],
      ['0006_products_stock_bigint', 'completed', false],
      ['0007_products_images', 'completed', true],
    ]);
    const columns = await sql<{ column_name: string; data_type: string }>`
      SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'products' ORDER BY ordinal_position`.execute(
      db,
    );
    const shape = Object.fromEntries(columns.rows.map((c) => [c.column_name, c.data_type]));
    expect(shape).toMatchObject({ stock: 'bigint', supplier_code: 'text' });
    expect(shape).not.toHaveProperty('supplier_ref');
    expect((await sql`SELECT stock, supplier_code FROM products WHERE id = ${id}`.execute(db)).rows).toEqual([{ stock: 2n, supplier_code: 'ACME-7' }]);
    // The deleted row stays deleted; the backfill wrote no version.
    expect((await sql`SELECT count(*)::int AS n FROM products WHERE sku = 'A-2'`.execute(db)).rows).toEqual([{ n: 0 }]);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM products_history`.execute(db)).rows[0]?.n).toBe(historyBefore);
    const { versions } = await listVersions(db, 'products', id);
    expect(versions.map((v) => v.data?.supplier_code)).toEqual(['ACME-7', 'ACME-7']);
    // A rerun does nothing.
    expect((await migrateService(db)).applied).toEqual([]);
  });
});
