import { type Kysely, type MigrationProvider, Migrator } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { ensureStrataSchema } from '../db/index.js';

const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };

export interface MigrationReport {
  readonly applied: readonly string[];
}

/**
 * Brings strata's own schema and then the service's schema up to date (Kysely's migrator: a lock table, one transaction per
 * migration). An interim runner until strata's online migrations exist.
 *
 * @example
 * const { applied } = await migrateService(database.db);
 */
export async function migrateService<DB>(db: Kysely<DB>): Promise<MigrationReport> {
  await ensureStrataSchema(db);
  const migrator = new Migrator({ db: db as Kysely<unknown>, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
