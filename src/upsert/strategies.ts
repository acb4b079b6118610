import { type Kysely, sql } from 'kysely';
import { isStrataError, quoteIdent as q, StrataError } from '../db/index.js';
import { assignments, changedGuard, columnList, keyMatch, ref, table, type UpdateValue, valuesList } from './render.js';
import type { Row } from './rows.js';
import type { UpsertTarget } from './target.js';

export type Action = 'inserted' | 'updated' | 'unchanged';

export interface Outcome {
  readonly row: Row;
  readonly action: Action;
}

/** What every strategy receives: one chunk, already checked and deduplicated. */
export interface Chunk {
  readonly target: UpsertTarget;
  readonly names: readonly string[];
  readonly rows: readonly Row[];
  readonly rules: readonly [string, UpdateValue][];
  readonly maxAttempts: number;
  /** MERGE ... RETURNING merge_action() (PostgreSQL 17+). */
  readonly mergeReturning: boolean;
}

export const keyText = (row: Row, key: readonly string[]) =>
  key.map((k) => (row[k] instanceof Date ? (row[k] as Date).toISOString() : String(row[k]))).join('\u0000');

async function currentRows<DB>(trx: Kysely<DB>, c: Chunk, rows: readonly Row[], lock: boolean): Promise<Row[]> {
  if (rows.length === 0) return [];
  const { rows: found } = await sql<Row>`
    SELECT t.* FROM ${table(c.target)} t JOIN (VALUES ${valuesList(c.target, c.target.key, rows)}) AS s(${columnList(c.target.key)})
      ON ${keyMatch(c.target, 't', 's')} ${lock ? sql`FOR UPDATE OF t` : sql``}`.execute(trx);
  return found;
}

function missing(c: Chunk, rows: readonly Row[], got: readonly Row[]): Row[] {
  const seen = new Set(got.map((r) => keyText(r, c.target.key)));
  return rows.filter((r) => !seen.has(keyText(r, c.target.key)));
}

/** Adds the rows a statement left alone (its guard found nothing to change), read back as `unchanged`. */
async function withUnchanged<DB>(trx: Kysely<DB>, c: Chunk, outcomes: Outcome[]): Promise<Outcome[]> {
  const untouched = missing(
    c,
    c.rows,
    outcomes.map((o) => o.row),
  );
  for (const row of await currentRows(trx, c, untouched, false)) outcomes.push({ row, action: 'unchanged' });
  return outcomes;
}

/** The native statement: INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE <something differs> RETURNING. */
export function nativeStatement(c: Pick<Chunk, 'target' | 'names' | 'rows' | 'rules'>) {
  const arbiter = sql`(${columnList(c.target.key)})${c.target.predicate ? sql.raw(` WHERE ${c.target.predicate}`) : sql``}`;
  const action = c.rules.length ? sql`DO UPDATE SET ${assignments(c.rules, 't', 'excluded')} WHERE ${changedGuard(c.rules, 't', 'excluded')}` : sql`DO NOTHING`;
  return sql<
    Row & { strata_inserted: boolean }
  >`INSERT INTO ${table(c.target)} AS t (${columnList(c.names)}) VALUES ${valuesList(c.target, c.names, c.rows)} ON CONFLICT ${arbiter} ${action} RETURNING t.*, (t.xmax = 0) AS strata_inserted`;
}

/** INSERT ... ON CONFLICT DO UPDATE (only when something differs); rows left alone are read back. */
export async function nativeUpsert<DB>(trx: Kysely<DB>, c: Chunk): Promise<Outcome[]> {
  const { rows } = await nativeStatement(c).execute(trx);
  const outcomes: Outcome[] = rows.map(({ strata_inserted, ...row }) => ({ row, action: strata_inserted ? 'inserted' : 'updated' }));
  return withUnchanged(trx, c, outcomes);
}

function sameRow(a: Row | undefined, b: Row): boolean {
  const text = (r: Row | undefined) => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
  return text(a) === text(b);
}

async function savepoint<DB, T>(trx: Kysely<DB>, name: string, work: () => Promise<T>): Promise<T> {
  await sql.raw(`SAVEPOINT ${name}`).execute(trx);
  try {
    const result = await work();
    await sql.raw(`RELEASE SAVEPOINT ${name}`).execute(trx);
    return result;
  } catch (err) {
    await sql.raw(`ROLLBACK TO SAVEPOINT ${name}`).execute(trx);
    throw err;
  }
}

export function mergeStatement(c: Pick<Chunk, 'target' | 'names' | 'rows' | 'rules'>, returning: boolean) {
  const matched = c.rules.length ? sql`WHEN MATCHED AND ${changedGuard(c.rules, 't', 's')} THEN UPDATE SET ${assignments(c.rules, 't', 's')}` : sql``;
  return sql<Row & { strata_action: string }>`
    MERGE INTO ${table(c.target)} AS t
    USING (VALUES ${valuesList(c.target, c.names, c.rows)}) AS s(${columnList(c.names)})
       ON ${keyMatch(c.target, 't', 's')}
    ${matched}
    WHEN NOT MATCHED THEN INSERT (${columnList(c.names)}) VALUES (${sql.join(c.names.map(ref('s')))})
    ${returning ? sql`RETURNING merge_action() AS strata_action, t.*` : sql``}`;
}

/** PostgreSQL 17+: MERGE reports what it did for each row. */
async function mergeReturning<DB>(trx: Kysely<DB>, c: Chunk): Promise<Outcome[]> {
  const { rows } = await mergeStatement(c, true).execute(trx);
  const outcomes: Outcome[] = rows.map(({ strata_action, ...row }) => ({ row, action: strata_action === 'INSERT' ? 'inserted' : 'updated' }));
  return withUnchanged(trx, c, outcomes);
}

/**
 * PostgreSQL 15-16: no RETURNING on MERGE. Transaction-level advisory locks on the chunk's keys
 * (taken in key order, so upserters cannot deadlock) make the before-image exact with respect to
 * other upserters; the rows are compared before and after.
 */
async function mergeCompared<DB>(trx: Kysely<DB>, c: Chunk): Promise<Outcome[]> {
  const keys = c.rows.map((r) => `${c.target.schema}.${c.target.table}:${keyText(r, c.target.key)}`).sort();
  for (const k of keys) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${k}, 0))`.execute(trx);
  const before = new Map((await currentRows(trx, c, c.rows, true)).map((r) => [keyText(r, c.target.key), r]));
  await mergeStatement(c, false).execute(trx);
  const after = await currentRows(trx, c, c.rows, false);
  return after.map((row) => {
    const old = before.get(keyText(row, c.target.key));
    return { row, action: old === undefined ? 'inserted' : sameRow(old, row) ? 'unchanged' : 'updated' } satisfies Outcome;
  });
}

/**
 * MERGE (PostgreSQL 15+). Its caveat: a concurrent insert of the same new key makes the
 * NOT MATCHED branch fail with a unique violation; the MERGE is rolled back to a savepoint and
 * retried, and then matches the committed row.
 */
export async function mergeUpsert<DB>(trx: Kysely<DB>, c: Chunk): Promise<Outcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await savepoint(trx, 'strata_upsert_merge', () => (c.mergeReturning ? mergeReturning(trx, c) : mergeCompared(trx, c)));
    } catch (err) {
      if (!isStrataError(err, 'UNIQUE_VIOLATION') || attempt >= c.maxAttempts) throw exhausted(err, attempt, c.maxAttempts);
    }
  }
}

function exhausted(err: unknown, attempt: number, max: number): unknown {
  return isStrataError(err, 'UNIQUE_VIOLATION') && attempt >= max
    ? new StrataError('UPSERT_RETRIES_EXHAUSTED', `gave up after ${attempt} attempts: the key kept changing under concurrent writers`, err.details, {
        cause: err,
      })
    : err;
}

async function updateExisting<DB>(trx: Kysely<DB>, c: Chunk, rows: readonly Row[]): Promise<Row[]> {
  if (rows.length === 0 || c.rules.length === 0) return [];
  const { rows: updated } = await sql<Row>`
    UPDATE ${table(c.target)} AS t SET ${assignments(c.rules, 't', 's')}
      FROM (VALUES ${valuesList(c.target, c.names, rows)}) AS s(${columnList(c.names)})
     WHERE ${keyMatch(c.target, 't', 's')} AND ${changedGuard(c.rules, 't', 's')}
    RETURNING t.*`.execute(trx);
  return updated;
}

/**
 * Savepoint, INSERT; on a unique violation of the key, roll back to the savepoint (so the
 * surrounding transaction survives) and UPDATE; if the row vanished in between, try again.
 * Row by row, in PostgreSQL's SQL: for a key whose unique constraint is DEFERRABLE (ON CONFLICT
 * refuses it as an arbiter; the constraint is set IMMEDIATE for the rest of the transaction), or a
 * caller that must not depend on ON CONFLICT.
 */
export async function fallbackUpsert<DB>(trx: Kysely<DB>, c: Chunk): Promise<Outcome[]> {
  // A deferred check would let the INSERT pass and fail at COMMIT: check the key at once instead.
  if (c.target.deferrable) await sql.raw(`SET CONSTRAINTS ${q(c.target.schema)}.${q(c.target.deferrable)} IMMEDIATE`).execute(trx);
  const outcomes: Outcome[] = [];
  for (const row of c.rows) {
    for (let attempt = 1; ; attempt++) {
      try {
        const inserted = await savepoint(trx, 'strata_upsert_row', () =>
          sql<Row>`INSERT INTO ${table(c.target)} (${columnList(c.names)}) VALUES ${valuesList(c.target, c.names, [row])} RETURNING *`.execute(trx),
        );
        outcomes.push({ row: inserted.rows[0] ?? row, action: 'inserted' });
        break;
      } catch (err) {
        if (!isStrataError(err, 'UNIQUE_VIOLATION') || (err.details.constraint && err.details.constraint !== c.target.indexName)) throw err;
      }
      const [updated] = await updateExisting(trx, c, [row]);
      if (updated) {
        outcomes.push({ row: updated, action: 'updated' });
        break;
      }
      const [current] = await currentRows(trx, c, [row], true);
      if (current) {
        outcomes.push({ row: current, action: 'unchanged' });
        break;
      }
      if (attempt >= c.maxAttempts)
        throw new StrataError('UPSERT_RETRIES_EXHAUSTED', `gave up after ${attempt} attempts: the row kept vanishing between insert and update`);
    }
  }
  return outcomes;
}

/**
 * UPDATE first, INSERT only the keys that matched nothing: repeats of existing keys never reach
 * INSERT, so they burn no sequence values.
 */
export async function updateFirstUpsert<DB>(trx: Kysely<DB>, c: Chunk): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let pending: readonly Row[] = c.rows;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > c.maxAttempts) throw new StrataError('UPSERT_RETRIES_EXHAUSTED', `gave up after ${c.maxAttempts} attempts under concurrent writers`);
    const updated = await updateExisting(trx, c, pending);
    outcomes.push(...updated.map((row) => ({ row, action: 'updated' as const })));
    pending = missing(c, pending, updated);
    const unchanged = await currentRows(trx, c, pending, true);
    outcomes.push(...unchanged.map((row) => ({ row, action: 'unchanged' as const })));
    pending = missing(c, pending, unchanged);
    if (pending.length === 0) break;
    const arbiter = sql`(${columnList(c.target.key)})${c.target.predicate ? sql.raw(` WHERE ${c.target.predicate}`) : sql``}`;
    const { rows: inserted } = await sql<Row>`
      INSERT INTO ${table(c.target)} (${columnList(c.names)}) VALUES ${valuesList(c.target, c.names, pending)}
      ON CONFLICT ${arbiter} DO NOTHING RETURNING *`.execute(trx);
    outcomes.push(...inserted.map((row) => ({ row, action: 'inserted' as const })));
    pending = missing(c, pending, inserted);
  }
  return outcomes;
}
