import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { type Database, isStrataError, loadConfig, openPostgres } from '../../src/db/index.js';
import { completeMigration, migrationStatus, rollbackMigration, startMigration } from '../../src/migrate/index.js';
import { migrateService } from '../../src/service/index.js';
import { caught } from '../support/errors.js';
import { describePgBouncer } from '../support/pooler.js';
import { usePostgres } from '../support/postgres.js';

const t = usePostgres();

async function through<T>(url: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openPostgres(url, { max: 2 });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

describePgBouncer('the migration runner behind PgBouncer (transaction mode)', (pooler) => {
  it('a database opened through the pooler knows it is pooled; one opened on the server does not', async () => {
    expect(await through(pooler.urlOf(t.url), async (d) => d.pooled)).toBe(true);
    expect(await through(t.directUrl, async (d) => d.pooled)).toBe(false);
  });

  it('refuses to start, complete or roll back through the pooler, naming STRATA_DIRECT_URL; no table of the service is made', async () => {
    await through(pooler.urlOf(t.url), async (database) => {
      const db = database.db as Kysely<unknown>;
      for (const run of [startMigration, completeMigration, rollbackMigration]) {
        const { error, migrations: acted } = await run(db, migrations);
        expect(acted).toEqual([]);
        expect(error?.code).toBe('SESSION_REQUIRED');
        expect(error?.message).toMatch(/migration runner .* set STRATA_DIRECT_URL/);
      }
      const refused = await caught(() => migrateService(db));
      expect(refused.code).toBe('SESSION_REQUIRED');
      expect((await migrationStatus(db, migrations)).every((m) => m.state === 'pending')).toBe(true);
      const tables = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`.execute(db);
      expect(tables.rows).toEqual([{ n: 0 }]);
    });
  });

  it('runs on the server given as STRATA_DIRECT_URL; then the service migrates nothing through the pooler and serves', async () => {
    const config = loadConfig({ DATABASE_URL: pooler.urlOf(t.url), STRATA_DIRECT_URL: t.directUrl });
    expect(config.directUrl).toBe(t.directUrl);
    const applied = await through(t.directUrl, (d) => migrateService(d.db));
    expect(applied.applied.length).toBeGreaterThan(0);
    await through(pooler.urlOf(t.url), async (database) => {
      expect(await migrateService(database.db)).toEqual({ applied: [] });
      const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM products`.execute(database.db);
      expect(rows.rows).toEqual([{ n: 0 }]);
    });
  });

  it('STRATA_DIRECT_URL must be a postgres:// URL', () => {
    let error: unknown;
    try {
      loadConfig({ STRATA_DIRECT_URL: 'mysql://x' });
    } catch (err) {
      error = err;
    }
    expect(isStrataError(error, 'CONFIG_INVALID') && error.message).toMatch(/^STRATA_DIRECT_URL must start with postgres:\/\//);
  });
});
