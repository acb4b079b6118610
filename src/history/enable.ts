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
 * Whether the BEFORE trigger can write an update's version itself (one trigger call per update
 * instead of two, see docs/decisions.md): only when the row it sees is the row stored, i.e. the
 * table has no generated columns (computed after BEFORE triggers) and no other BEFORE UPDATE row
 * trigger fires after strata's (same-timing triggers fire in name order). Otherwise the AFTER
 * trigger versions updates, from the final row.
 */
async function foldsUpdates<DB>(db: Kysely<DB>, r: HistoryRelations, before: string): Promise<boolean> {
  const { rows } = await sql<{ later: boolean }>`
    SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${rel(r, r.base)}) AND attnum > 0 AND NOT attisdropped AND attgenerated <> '')
        OR EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(${rel(r, r.base)}) AND NOT tgisinternal
                     AND tgtype & 19 = 19 AND tgname::text COLLATE "C" > ${before}::text COLLATE "C") AS later`.execute(db);
  return rows[0]?.later === false;
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
    const fold = await foldsUpdates(trx, r, names.triggers.before);
    await run(trx, renderBeforeFunction(r, names.before, fold));
    await run(trx, renderAfterFunction(r, names.after, fold));
    for (const statement of renderTriggers(r, fold)) await run(trx, statement);
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
