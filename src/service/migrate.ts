import type { Kysely } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { ensureStrataSchema } from '../db/index.js';
import { migrateToLatest, type RunOptions } from '../migrate/index.js';

export interface MigrationReport {
  readonly applied: readonly string[];
}

/**
 * Brings strata's own schema and then the service's schema up to date with strata's migration
 * engine: each pending migration is started and completed (a single instance has no previous
 * version to keep serving). A database migrated by Kysely's Migrator is adopted as it is.
 *
 * @example
 * const { applied } = await migrateService(database.db);
 */
export async function migrateService<DB>(db: Kysely<DB>, options: RunOptions = {}): Promise<MigrationReport> {
  await ensureStrataSchema(db);
  const { migrations: acted, error } = await migrateToLatest(db, migrations, options);
  if (error) throw error;
  return { applied: [...new Set(acted.map((m) => m.name))] };
}

export { migrations as serviceMigrations };
