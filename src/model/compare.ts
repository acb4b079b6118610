import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ensureStrataSchema } from '../db/index.js';
import { applyModel } from './apply.js';
import { type DiffOptions, diffModels, type ModelDiff } from './diff.js';
import { introspectModel } from './read.js';
import type { ModelSnapshot } from './snapshot.js';

class Rollback<T> {
  constructor(readonly value: T) {}
}

/**
 * The definitions as PostgreSQL renders them: applied to a scratch schema inside a transaction
 * that is rolled back, and introspected there. Nothing is left behind.
 *
 * @example
 * const rendered = await renderedByDatabase(db, snapshotOf(model));
 */
export async function renderedByDatabase<DB>(db: Kysely<DB>, model: ModelSnapshot): Promise<ModelSnapshot> {
  // strata's own tables (the soft-delete registry) are created outside the transaction that is rolled
  // back, so the per-pool memory of "created" stays true.
  await ensureStrataSchema(db);
  const scratch = `strata_model_${randomBytes(6).toString('hex')}`;
  try {
    await db.transaction().execute(async (trx) => {
      await applyModel(trx, model, { schema: scratch });
      throw new Rollback(await introspectModel(trx, { schema: scratch }));
    });
  } catch (err) {
    if (err instanceof Rollback) return err.value as ModelSnapshot;
    throw err;
  }
  throw new Error('unreachable: the scratch transaction always rolls back');
}

/**
 * Compares definitions with a live schema, both as PostgreSQL renders them (no hand-written
 * normalisation): each difference, and the online operations that close it.
 *
 * @example
 * const { differences } = await compareWithDatabase(db, snapshotOf(model), { schema: 'public' });
 * if (differences.length > 0) process.exitCode = 1;
 */
export async function compareWithDatabase<DB>(db: Kysely<DB>, model: ModelSnapshot, options: DiffOptions & { schema?: string } = {}): Promise<ModelDiff> {
  const desired = await renderedByDatabase(db, model);
  const live = await introspectModel(db, { schema: options.schema ?? 'public' });
  return diffModels(desired, live, options);
}
