import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema, storageIdentitySql, withTransaction } from '../db/index.js';
import { CHUNKS_TABLE, LOADS_TABLE } from './tables.js';

/**
 * Where a load records what it committed, in the same transaction as each chunk: one row per
 * committed chunk (its line range, and the storage identity of the table it went into) in
 * `strata.bulk_chunks`, and the load's totals and status in `strata.bulk_loads` (both created by
 * `ensureStrataSchema`). Chunks may commit out of order (parallel connections), so a rerun skips
 * the recorded ranges rather than a prefix.
 */
export async function ensureLoadTable<DB>(db: Kysely<DB>): Promise<void> {
  await ensureStrataSchema(db);
}

/** A committed chunk: its first and last input line, and how many of its records it set aside. */
export type DoneRange = readonly [first: number, last: number, rejected?: number];

/** The input lines an earlier run of a load committed: `has(line)` is cheapest when asked in increasing order. */
export class DoneLines {
  private at = 0;
  private readonly counted = new Set<number>();
  /** Records an earlier run rejected (reject mode), among the lines `has` answered true for. */
  rejectedSeen = 0;

  constructor(
    private readonly ranges: readonly DoneRange[],
    /** Rows the earlier runs committed. */
    readonly rows: number,
  ) {}

  has(line: number): boolean {
    const ranges = this.ranges;
    // Every range before `at` ends before the line asked last; a smaller line starts over.
    if (this.at > 0 && line <= (ranges[this.at - 1]?.[1] ?? 0)) this.at = 0;
    while (this.at < ranges.length && (ranges[this.at]?.[1] ?? 0) < line) this.at++;
    const range = ranges[this.at];
    if (range === undefined || range[0] > line) return false;
    if (!this.counted.has(this.at)) {
      this.counted.add(this.at);
      this.rejectedSeen += range[2] ?? 0;
    }
    return true;
  }
}

export const NOTHING_DONE = new DoneLines([], 0);

/**
 * What a run of load `loadId` may skip: the chunks an interrupted earlier run committed into the
 * table as it is now (`identity`: its storage identity, see `Introspector.storageIdentity`). Never
 * more: a finished load, or `restart`, starts over (its records are deleted), and so do chunks
 * recorded under another identity (the table was truncated, rewritten, or dropped and created
 * since: their rows are gone) or under none (recorded by a strata that did not record it).
 */
export async function resumeLoad<DB>(db: Kysely<DB>, loadId: string | undefined, identity: string | undefined, restart = false): Promise<DoneLines> {
  if (!loadId) return NOTHING_DONE;
  return withTransaction(db, async (trx) => {
    const { rows: loads } = await sql<{ status: string }>`
      SELECT status FROM ${sql.raw(LOADS_TABLE)} WHERE load_id = ${loadId} FOR UPDATE`.execute(trx);
    const status = loads[0]?.status;
    if (restart || status === undefined || status === 'done') {
      await sql`DELETE FROM ${sql.raw(CHUNKS_TABLE)} WHERE load_id = ${loadId}`.execute(trx);
      await sql`DELETE FROM ${sql.raw(LOADS_TABLE)} WHERE load_id = ${loadId}`.execute(trx);
      return NOTHING_DONE;
    }
    await sql`DELETE FROM ${sql.raw(CHUNKS_TABLE)} WHERE load_id = ${loadId} AND table_identity IS DISTINCT FROM ${identity ?? null}`.execute(trx);
    const { rows } = await sql<{ first: string; last: string; rows: string; rejected: string }>`
      SELECT first_line::text AS first, last_line::text AS last, rows::text AS rows, rejected::text AS rejected
        FROM ${sql.raw(CHUNKS_TABLE)} WHERE load_id = ${loadId} ORDER BY first_line`.execute(trx);
    const done = rows.reduce((sum, r) => sum + Number(r.rows), 0);
    const lines = rows.reduce((max, r) => Math.max(max, Number(r.last)), 0);
    await sql`UPDATE ${sql.raw(LOADS_TABLE)} SET rows_done = ${done}, lines_done = ${lines}, table_identity = ${identity ?? null}, updated_at = now()
      WHERE load_id = ${loadId}`.execute(trx);
    return new DoneLines(
      rows.map((r) => [Number(r.first), Number(r.last), Number(r.rejected)] as const),
      done,
    );
  });
}

/**
 * Records a committed chunk, in its transaction, with the storage identity of its table read there
 * (the chunk holds a lock that keeps a TRUNCATE out until it commits). Parameters: load id, table,
 * first line, last line, rows, rejected records, the table's schema and name.
 */
export const RECORD_CHUNK = `WITH identity AS (${storageIdentitySql('$7', '$8')}),
  chunk AS (INSERT INTO ${CHUNKS_TABLE} (load_id, first_line, last_line, rows, rejected, table_identity)
    VALUES ($1, $3, $4, $5, $6, (SELECT identity FROM identity)))
  INSERT INTO ${LOADS_TABLE} AS l (load_id, table_name, lines_done, rows_done, status, table_identity)
    VALUES ($1, $2, $4, $5, 'running', (SELECT identity FROM identity))
  ON CONFLICT (load_id) DO UPDATE SET lines_done = GREATEST(l.lines_done, EXCLUDED.lines_done),
    rows_done = l.rows_done + EXCLUDED.rows_done, status = 'running', table_identity = EXCLUDED.table_identity, updated_at = now()`;

export const MARK_DONE = `UPDATE ${LOADS_TABLE} SET status = 'done', updated_at = now() WHERE load_id = $1`;
