import { type Kysely, sql } from 'kysely';
import { quoteIdent as q, withTransaction } from '../db/index.js';
import { type HistoryRelations, rel, resolveRelations } from './relations.js';
import { historyNames, renderAfterFunction, renderBeforeFunction, renderHistoryTable, renderTriggers } from './render.js';

export interface EnableHistoryOptions {
  readonly table: string;
  readonly schema?: string;
}

export interface EnableHistoryResult {
  readonly table: string;
  readonly base: string;
  readonly history: string;
  /** Rows already present, recorded as version snapshots when history was first enabled. */
  readonly snapshotted: number;
}

const run = <DB>(db: Kysely<DB>, text: string) => sql.raw(text).execute(db);

/** The CHECK on `operation` earlier strata versions put on the history table (see renderHistoryTable). */
async function operationChecks<DB>(db: Kysely<DB>, r: HistoryRelations): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.conname AS name FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attname = 'operation'
     WHERE c.conrelid = to_regclass(${rel(r, r.history)}) AND c.contype = 'c' AND c.conkey = ARRAY[a.attnum]`.execute(db);
  return rows.map((row) => row.name);
}

/**
 * Versions every row of a table, captured by the database itself so no writer can bypass it:
 * `<table>_history` gets one row per insert, real update, soft delete, restore and purge, with
 * version, time, operation, actor and request id (from `setWriteContext`, else 'unknown') and
 * transaction id. The row's `version` column is owned by the database (the ETag). Works under
 * soft deletes (the triggers sit on `<table>_all`). Safe to rerun.
 *
 * @example
 * await enableHistory(db, { table: 'products' });
 */
export function enableHistory<DB>(db: Kysely<DB>, options: EnableHistoryOptions): Promise<EnableHistoryResult> {
  return withTransaction(db, async (trx) => {
    const r = await resolveRelations(trx, options.table, options.schema);
    const base = rel(r, r.base);
    await run(trx, `ALTER TABLE ${base} ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1`);
    const existed = (await sql<{ found: boolean }>`SELECT to_regclass(${`${r.schema}.${r.history}`}) IS NOT NULL AS found`.execute(trx)).rows[0]?.found;
    await run(trx, renderHistoryTable(r));
    for (const name of await operationChecks(trx, r)) await run(trx, `ALTER TABLE ${rel(r, r.history)} DROP CONSTRAINT ${q(name)}`);
    const names = historyNames(r);
    await run(trx, renderBeforeFunction(r, names.before));
    await run(trx, renderAfterFunction(r, names.after));
    for (const statement of renderTriggers(r)) await run(trx, statement);
    let snapshotted = 0;
    if (!existed) {
      const result = await sql`
        INSERT INTO ${sql.raw(rel(r, r.history))} (row_id, version, operation, valid_from, actor, request_id, txid, data)
        SELECT t.${sql.raw(q(r.primaryKey))}, t.version, 'snapshot', clock_timestamp(), 'strata', NULL, txid_current(), to_jsonb(t.*) FROM ${sql.raw(base)} t`.execute(
        trx,
      );
      snapshotted = Number(result.numAffectedRows ?? 0n);
    }
    return { table: r.table, base: r.base, history: r.history, snapshotted };
  });
}
