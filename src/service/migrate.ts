import type { Kysely } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { behindPooler, ensureStrataSchema } from '../db/index.js';
import { migrateToLatest, migrationStatus, type RunOptions } from '../migrate/index.js';

export interface MigrationReport {
  readonly applied: readonly string[];
}

/**
 * Brings strata's own schema and then the service's schema up to date with strata's migration
 * engine: each pending migration is started and completed (a single instance has no previous
 * version to keep serving). A database migrated by Kysely's Migrator is adopted as it is.
 * Behind a transaction-mode pooler (PgBouncer) a database already up to date is left alone; a
 * pending migration is refused with SESSION_REQUIRED (give the runner STRATA_DIRECT_URL: `serve` does).
 *
 * @example
 * const { applied } = await migrateService(database.db);
 */
export async function migrateService<DB>(db: Kysely<DB>, options: RunOptions = {}): Promise<MigrationReport> {
  await ensureStrataSchema(db);
  if (behindPooler(db)) {
    const status = await migrationStatus(db, migrations);
    if (status.every((m) => m.state === 'completed' || m.state === 'unknown')) return { applied: [] };
  }
  const { migrations: acted, error } = await migrateToLatest(db, migrations, options);
  if (error) throw error;
  return { applied: [...new Set(acted.map((m) => m.name))] };
}

export { migrations as serviceMigrations };
