import { type Kysely, sql } from 'kysely';
import { isStrataError, quoteIdent as q, type StrataError, withTransaction } from '../db/index.js';
import { namesFor } from './names.js';
import { readConfig, requireConfig, type SoftDeleteConfig } from './registry.js';

export interface PurgeProgress {
  readonly table: string;
  /** Rows hard-deleted from this table so far. */
  readonly purged: number;
  readonly batches: number;
}

export interface PurgeOptions {
  readonly table: string;
  readonly schema?: string;
  /** Only rows deleted longer ago than this are purged. */
  readonly olderThanMs: number;
  /** Rows per transaction. Default 1 000. */
  readonly batchSize?: number;
  /** A batch waits at most this long for a lock, then is retried later. Default 1 000 ms. */
  readonly lockTimeoutMs?: number;
  readonly onProgress?: (progress: PurgeProgress) => void;
  readonly signal?: AbortSignal;
  /** GDPR-style erase: also remove the purged rows' history (when history is enabled). Default false. */
  readonly eraseHistory?: boolean;
}

/** What a purge did; a purge stopped by an error reports it here instead of throwing. */
export interface PurgeResult {
  readonly purged: number;
  readonly batches: number;
  readonly byTable: Readonly<Record<string, number>>;
  readonly error?: StrataError | Error;
}

/**
 * How many rows of a soft-delete table a purge with these options would remove at most (rows a
 * child still references are counted too), for progress bars.
 *
 * @example
 * const total = await countPurgeCandidates(db, { table: 'products', olderThanMs: 30 * 86_400_000 });
 */
export async function countPurgeCandidates<DB>(db: Kysely<DB>, options: Pick<PurgeOptions, 'table' | 'schema' | 'olderThanMs'>): Promise<number> {
  const n = namesFor(options.table, options.schema);
  const { rows } = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM ${sql.raw(`${q(n.schema)}.${q(n.base)}`)}
     WHERE deleted_at < clock_timestamp() - make_interval(secs => ${options.olderThanMs / 1000})`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

async function relationFor<DB>(db: Kysely<DB>, table: string, schema: string): Promise<string> {
  const enabled = await readConfig(db, table, schema);
  const n = namesFor(table, schema);
  return `${q(n.schema)}.${q(enabled ? n.base : n.live)}`;
}

/** The rows a purge may delete now: deleted long enough ago, referenced by no child row. */
async function purgeable<DB>(db: Kysely<DB>, config: SoftDeleteConfig, options: PurgeOptions) {
  const n = namesFor(config.table, config.schema);
  const guards: string[] = [];
  for (const child of config.children) {
    guards.push(`AND NOT EXISTS (SELECT 1 FROM ${await relationFor(db, child.table, config.schema)} c WHERE c.${q(child.column)} = t.${q(config.primaryKey)})`);
  }
  return sql`${sql.raw(`${q(n.schema)}.${q(n.base)}`)} t
         WHERE t.deleted_at < clock_timestamp() - make_interval(secs => ${options.olderThanMs / 1000})
           ${sql.raw(guards.join('\n           '))}`;
}

async function purgeBatch<DB>(db: Kysely<DB>, config: SoftDeleteConfig, options: PurgeOptions): Promise<number> {
  const n = namesFor(config.table, config.schema);
  const pk = q(config.primaryKey);
  const from = await purgeable(db, config, options);
  return withTransaction(db, async (trx) => {
    await sql`SELECT set_config('lock_timeout', ${`${options.lockTimeoutMs ?? 1000}ms`}, true), set_config('strata.erase_history', ${options.eraseHistory ? 'on' : 'off'}, true)`.execute(
      trx,
    );
    const result = await sql`
      WITH doomed AS (
        SELECT t.${sql.raw(pk)} AS key FROM ${from}
         ORDER BY t.deleted_at
         LIMIT ${options.batchSize ?? 1000}
         FOR UPDATE SKIP LOCKED)
      DELETE FROM ${sql.raw(`${q(n.schema)}.${q(n.base)}`)} t USING doomed WHERE t.${sql.raw(pk)} = doomed.key`.execute(trx);
    return Number(result.numAffectedRows ?? 0n);
  });
}

/** Whether purgeable rows are left that a batch skipped because another transaction holds them (a plain read waits for no lock). */
async function lockedLeft<DB>(db: Kysely<DB>, config: SoftDeleteConfig, options: PurgeOptions): Promise<boolean> {
  const { rows } = await sql<{ left: boolean }>`SELECT EXISTS (SELECT 1 FROM ${await purgeable(db, config, options)}) AS left`.execute(db);
  return rows[0]?.left === true;
}

const LOCKED_RETRY_MS = 50;

async function purgeTable<DB>(
  db: Kysely<DB>,
  config: SoftDeleteConfig,
  options: PurgeOptions,
  totals: Record<string, number>,
  counter: { batches: number },
): Promise<void> {
  for (const child of config.children) {
    const childConfig = await readConfig(db, child.table, config.schema);
    if (childConfig) await purgeTable(db, childConfig, options, totals, counter);
  }
  totals[config.table] ??= 0;
  for (let contended = 0, skippedLocked = 0; ; ) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('purge aborted');
    let purged: number;
    try {
      purged = await purgeBatch(db, config, options);
    } catch (err) {
      if (isStrataError(err, 'LOCK_TIMEOUT') && ++contended < 10) continue;
      throw err;
    }
    if (purged === 0) {
      // Every row left is held by another transaction (SKIP LOCKED passed over it): retry for up to the lock timeout, then leave it for the next run.
      if (++skippedLocked * LOCKED_RETRY_MS > (options.lockTimeoutMs ?? 1000) || !(await lockedLeft(db, config, options))) return;
      await new Promise((resolve) => setTimeout(resolve, LOCKED_RETRY_MS));
      continue;
    }
    skippedLocked = 0;
    counter.batches += 1;
    totals[config.table] = (totals[config.table] ?? 0) + purged;
    options.onProgress?.({ table: config.table, purged: totals[config.table] ?? 0, batches: counter.batches });
  }
}

/**
 * Hard-deletes rows soft-deleted longer ago than `olderThanMs`, in small batches (each its own
 * transaction, skipping locked rows, with a short lock timeout) so live writes never wait on it;
 * rows another transaction holds are retried for up to the lock timeout, then left for the next run.
 * Children are purged first; a row still referenced by any child row is kept. Killing it loses
 * nothing: rerun it and it carries on.
 *
 * @example
 * const result = await purgeDeleted(db, { table: 'products', olderThanMs: 30 * 86_400_000, onProgress: console.log });
 * if (result.error) throw result.error;
 */
export async function purgeDeleted<DB>(db: Kysely<DB>, options: PurgeOptions): Promise<PurgeResult> {
  const byTable: Record<string, number> = {};
  const counter = { batches: 0 };
  const total = () => Object.values(byTable).reduce((a, b) => a + b, 0);
  try {
    const config = await requireConfig(db, options.table, options.schema);
    await purgeTable(db, config, options, byTable, counter);
    return { purged: total(), batches: counter.batches, byTable };
  } catch (err) {
    return { purged: total(), batches: counter.batches, byTable, error: err instanceof Error ? err : new Error(String(err)) };
  }
}
