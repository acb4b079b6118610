import { type Kysely, sql } from 'kysely';
import { quoteIdent as q, withTransaction } from '../db/index.js';
import { enableHistory } from '../history/index.js';
import { enableSoftDelete } from '../softdelete/index.js';
import { renderDomain, renderEnum, renderForeignKey, renderIndex, renderTable, renderView } from './ddl.js';
import type { ModelSnapshot } from './snapshot.js';

export interface ApplyResult {
  readonly schema: string;
  /** Every statement run, in order (soft deletes and history as the enablers' names). */
  readonly statements: readonly string[];
}

/** Puts `schema` first on the search path for the rest of the transaction. */
export async function useSchema<DB>(trx: Kysely<DB>, schema: string): Promise<void> {
  await sql`SELECT set_config('search_path', ${`${q(schema)}, pg_catalog`}, true)`.execute(trx);
}

/**
 * Creates a model in an empty schema (created when missing), in one transaction: types, tables,
 * indexes, foreign keys, then soft deletes and history through strata/softdelete and
 * strata/history (in that order, so history records deletes and restores), then views (so a view reads a soft-deleted table's live rows). For a schema that
 * already holds tables, generate a migration instead (`planModelMigration`).
 *
 * @example
 * await applyModel(db, snapshotOf([status, products]), { schema: 'public' });
 */
export function applyModel<DB>(db: Kysely<DB>, model: ModelSnapshot, options: { schema?: string } = {}): Promise<ApplyResult> {
  const schema = options.schema ?? 'public';
  return withTransaction(db, async (trx) => {
    const statements: string[] = [];
    const run = async (statement: string) => {
      statements.push(statement);
      await sql.raw(statement).execute(trx);
    };
    await run(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
    await useSchema(trx, schema);
    for (const s of model.enums.flatMap(renderEnum)) await run(s);
    for (const s of model.domains.flatMap(renderDomain)) await run(s);
    for (const s of model.tables.flatMap(renderTable)) await run(s);
    for (const t of model.tables) for (const i of t.indexes) await run(renderIndex(t.name, i));
    for (const t of model.tables) for (const fk of t.foreignKeys) await run(renderForeignKey(t.name, fk));
    for (const t of model.tables) {
      if (!t.softDelete) continue;
      statements.push(`-- enableSoftDelete ${schema}.${t.name}`);
      await enableSoftDelete(trx, { table: t.name, schema });
    }
    for (const t of model.tables) {
      if (!t.history) continue;
      statements.push(`-- enableHistory ${schema}.${t.name}`);
      await enableHistory(trx, { table: t.name, schema });
      // History adds `version` to <t>_all; the live view is refreshed to show it.
      if (t.softDelete) await enableSoftDelete(trx, { table: t.name, schema });
    }
    await useSchema(trx, schema);
    for (const s of model.views.flatMap(renderView)) await run(s);
    return { schema, statements };
  });
}
