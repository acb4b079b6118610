import { type Kysely, sql } from 'kysely';
import { quoteIdent as q, StrataError, setWriteContext, type WriteContext, withTransaction } from '../db/index.js';
import { SOFT_DELETE_COLUMNS } from '../softdelete/index.js';
import { versionAt } from './read.js';
import { rel, resolveRelations } from './relations.js';

const NEVER_REVERTED = new Set(['version', 'created_at', 'updated_at', ...SOFT_DELETE_COLUMNS]);

export interface RevertResult {
  /** The row's version after the revert (unchanged when it already equalled the target). */
  readonly version: number;
  readonly changed: boolean;
}

/**
 * Writes a new version whose fields equal those of `version` (history is never rewritten). Columns
 * added since that version keep their current values; a soft-deleted row stays deleted.
 *
 * @example
 * const { version } = await revertToVersion(db, 'products', id, 3, { actor: 'alice' });
 */
export function revertToVersion<DB>(
  db: Kysely<DB>,
  table: string,
  id: string,
  version: number,
  context: WriteContext = {},
  schema?: string,
): Promise<RevertResult> {
  return withTransaction(db, async (trx) => {
    await setWriteContext(trx, context);
    const r = await resolveRelations(trx, table, schema);
    const target = await versionAt(trx, table, id, version, schema);
    if (!target?.data) throw new StrataError('NOT_FOUND', `version ${version} of ${table} ${id} does not exist or holds no data`);
    const data = target.data;
    const fields = r.columns.map((c) => c.name).filter((c) => c !== r.primaryKey && !NEVER_REVERTED.has(c) && c in data);
    const list = fields.map((f) => q(f)).join(', ');
    const base = rel(r, r.base);
    const updated = await sql<{ version: number }>`
      UPDATE ${sql.raw(base)} t SET (${sql.raw(list)}) = (SELECT ${sql.raw(list)} FROM jsonb_populate_record(NULL::${sql.raw(base)}, ${JSON.stringify(data)}::jsonb))
       WHERE t.${sql.raw(q(r.primaryKey))} = ${id} RETURNING t.version`.execute(trx);
    if (updated.rows[0]) return { version: updated.rows[0].version, changed: true };
    const current = await sql<{ version: number }>`SELECT version FROM ${sql.raw(base)} WHERE ${sql.raw(q(r.primaryKey))} = ${id}`.execute(trx);
    if (!current.rows[0]) throw new StrataError('NOT_FOUND', `${table} ${id} no longer exists`);
    return { version: current.rows[0].version, changed: false };
  });
}

export interface PruneOptions {
  /** Versions superseded longer ago than this are removed; current versions are always kept. */
  readonly olderThanMs: number;
  readonly batchSize?: number;
  readonly schema?: string;
  readonly onProgress?: (pruned: number) => void;
}

/** What a prune did; an error stops it and is reported here, not thrown. */
export interface PruneResult {
  readonly pruned: number;
  readonly error?: Error;
}

/**
 * Retention: deletes versions superseded before `now - olderThanMs`, in batches. Rerun-safe.
 *
 * @example
 * await pruneHistory(db, 'products', { olderThanMs: 365 * 86_400_000 });
 */
export async function pruneHistory<DB>(db: Kysely<DB>, table: string, options: PruneOptions): Promise<PruneResult> {
  let pruned = 0;
  try {
    const r = await resolveRelations(db, table, options.schema);
    const h = sql.raw(rel(r, r.history));
    for (;;) {
      const result = await sql`
        DELETE FROM ${h} WHERE ctid IN (
          SELECT old.ctid FROM ${h} old
           WHERE old.valid_from < clock_timestamp() - make_interval(secs => ${options.olderThanMs / 1000})
             AND EXISTS (SELECT 1 FROM ${h} nxt WHERE nxt.row_id = old.row_id AND nxt.version > old.version
                          AND nxt.valid_from <= clock_timestamp() - make_interval(secs => ${options.olderThanMs / 1000}))
           LIMIT ${options.batchSize ?? 1000})`.execute(db);
      const n = Number(result.numAffectedRows ?? 0n);
      if (n === 0) return { pruned };
      pruned += n;
      options.onProgress?.(pruned);
    }
  } catch (err) {
    return { pruned, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/**
 * GDPR-style erase: removes every version of one row from its history.
 *
 * @example
 * await eraseHistory(db, 'products', id);
 */
export async function eraseHistory<DB>(db: Kysely<DB>, table: string, id: string, schema?: string): Promise<number> {
  const r = await resolveRelations(db, table, schema);
  const result = await sql`DELETE FROM ${sql.raw(rel(r, r.history))} WHERE row_id = ${id}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
