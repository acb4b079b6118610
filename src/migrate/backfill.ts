import { type Kysely, sql } from 'kysely';
import { introspect, quoteIdent as q } from '../db/index.js';
import { type LockPolicy, retryOnLockTimeout } from './locks.js';
import { MIGRATION_BACKFILL_ROWS } from './metrics.js';
import { BACKFILL_SETTING } from './names.js';
import { withSessionSettings } from './session-settings.js';
import type { Step } from './steps.js';
import { STEPS } from './tables.js';

export interface BackfillOptions {
  /** Rows per batch (one transaction each, its row locks held for the batch only); default 1 000. */
  readonly batchSize: number;
  /** Fixed pause between batches, ms; default 0 (the pacing below decides). */
  readonly throttleMs: number;
  /**
   * After a batch that took t ms, pause at least `yieldRatio` × t: the backfill takes at most
   * 1 / (1 + yieldRatio) of the time (2/3 at the default 0.5), and when the server is busy (batches
   * slow down) it pauses longer by itself. 0: no such pause.
   */
  readonly yieldRatio: number;
  /** Upper bound on rows per second (paces WAL and I/O, for replicas and backups too); default 30 000. 0: none. */
  readonly maxRowsPerSecond: number;
  readonly onProgress?: (progress: BackfillProgress) => void;
}

export const DEFAULT_BACKFILL = { batchSize: 1000, throttleMs: 0, yieldRatio: 0.5, maxRowsPerSecond: 30_000 } as const;

/** The pause after a batch of `rows` rows that took `ms` ms. */
export function backfillPause(options: Omit<BackfillOptions, 'onProgress'>, rows: number, ms: number): number {
  const paced = options.maxRowsPerSecond > 0 ? (rows * 1000) / options.maxRowsPerSecond - ms : 0;
  return Math.max(options.throttleMs, options.yieldRatio * ms, paced, 0);
}

export interface BackfillProgress {
  readonly table: string;
  /** Rows visited so far (this run and the runs before it). */
  readonly done: number;
  /** Estimated rows in the table (planner statistics). */
  readonly total: number;
  /** Rows actually rewritten by this run. */
  readonly written: number;
}

type BackfillStep = Extract<Step, { kind: 'backfill' }>;

/**
 * Computes the new columns of every row, in batches of consecutive keys, each batch its own short
 * transaction (row locks for a few milliseconds, under lock_timeout, retried). The last key done is
 * the checkpoint, stored with the batch, so a killed backfill resumes after it. Rows whose values
 * are already right are not rewritten; writers running meanwhile are kept right by the sync trigger.
 * History records no version for a backfill (`strata.backfill` names the columns it writes).
 */
export async function runBackfill<DB>(
  db: Kysely<DB>,
  name: string,
  index: number,
  step: BackfillStep,
  policy: LockPolicy,
  options: BackfillOptions,
): Promise<void> {
  const columns = await introspect(db).columns(step.schema, step.table);
  const keyType = columns.find((c) => c.name === step.key)?.type ?? 'text';
  const table = `${q(step.schema)}.${q(step.table)}`;
  const key = q(step.key);
  const set = step.assignments.map((a) => `${q(a.column)} = ${a.expression}`).join(', ');
  const differs = step.assignments.map((a) => `${q(a.column)} IS DISTINCT FROM (${a.expression})`).join(' OR ');
  const backfilled = step.assignments.map((a) => a.column).join(',');
  const { rows: estimate } = await sql<{ n: string }>`SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class WHERE oid = to_regclass(${table})`.execute(db);
  const total = Number(estimate[0]?.n ?? 0);
  const { rows: saved } = await sql<{ checkpoint: string | null; rows: string }>`
    SELECT checkpoint, rows FROM ${sql.raw(STEPS)} WHERE name = ${name} AND phase = 'start' AND step = ${index}`.execute(db);
  let checkpoint = saved[0]?.checkpoint ?? null;
  let done = Number(saved[0]?.rows ?? 0);
  let written = 0;
  const after = (cp: string | null) => (cp === null ? sql`true` : sql`${sql.raw(key)} > CAST(${cp} AS ${sql.raw(keyType)})`);
  // Each batch is one statement in its own (implicit) transaction: one round trip, its row locks held
  // for that statement only. The session's settings, for the backfill's duration: lock_timeout and
  // statement_timeout per statement; `strata.backfill` (sync triggers stand aside, history records no
  // version); synchronous_commit off: a batch's commit does not wait for its WAL to reach disk. A crash
  // can lose the last batches, but each with its checkpoint (same statement), so the rerun redoes them;
  // an application commit that follows flushes the WAL before it anyway.
  const session = {
    lock_timeout: `${policy.lockTimeoutMs}ms`,
    statement_timeout: `${policy.statementTimeoutMs}ms`,
    synchronous_commit: 'off',
    [BACKFILL_SETTING]: backfilled,
  };
  await withSessionSettings(db, session, async () => {
    for (;;) {
      const began = performance.now();
      const batch = await retryOnLockTimeout(db, step.description, [table], policy, 'start', async () => {
        const { rows } = await sql<{ hi: string; n: string; written: string }>`
          WITH batch AS (
                 SELECT k, count(*) OVER () AS n FROM (
                   SELECT ${sql.raw(key)} AS k FROM ${sql.raw(table)} WHERE ${after(checkpoint)} ORDER BY ${sql.raw(key)} LIMIT ${options.batchSize}) b
                  ORDER BY k DESC LIMIT 1),
               filled AS (
                 UPDATE ${sql.raw(table)} SET ${sql.raw(set)}
                  WHERE ${after(checkpoint)} AND ${sql.raw(key)} <= (SELECT k FROM batch) AND (${sql.raw(differs)})
                  RETURNING 1),
               saved AS (
                 INSERT INTO ${sql.raw(STEPS)} (name, phase, step, checkpoint, rows) SELECT ${name}, 'start', ${index}, k::text, n FROM batch
                 ON CONFLICT (name, phase, step) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, rows = ${sql.raw(STEPS)}.rows + EXCLUDED.rows)
          SELECT k::text AS hi, n, (SELECT count(*) FROM filled) AS written FROM batch`.execute(db);
        const row = rows[0];
        return row ? { hi: row.hi, visited: Number(row.n), written: Number(row.written) } : undefined;
      });
      if (!batch) break;
      checkpoint = batch.hi;
      done += batch.visited;
      written += batch.written;
      MIGRATION_BACKFILL_ROWS.record({ table: step.table }, batch.written);
      options.onProgress?.({ table: step.table, done, total: Math.max(total, done), written });
      const pause = backfillPause(options, batch.visited, performance.now() - began);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  });
}
