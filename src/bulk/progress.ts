import { type Kysely, sql } from 'kysely';

/** Where a load records what it committed, in the same transaction as each chunk. */
export async function ensureLoadTable<DB>(db: Kysely<DB>): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS strata_bulk_loads (
    load_id text PRIMARY KEY,
    table_name text NOT NULL,
    lines_done bigint NOT NULL DEFAULT 0,
    rows_done bigint NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'running',
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now())`.execute(db);
}

export async function linesDone<DB>(db: Kysely<DB>, loadId: string): Promise<{ lines: number; rows: number; status: string } | undefined> {
  const { rows } = await sql<{ lines: string; rows: string; status: string }>`
    SELECT lines_done::text AS lines, rows_done::text AS rows, status FROM strata_bulk_loads WHERE load_id = ${loadId}`.execute(db);
  const row = rows[0];
  return row ? { lines: Number(row.lines), rows: Number(row.rows), status: row.status } : undefined;
}

export const RECORD_PROGRESS = `INSERT INTO strata_bulk_loads (load_id, table_name, lines_done, rows_done, status)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (load_id) DO UPDATE SET lines_done = EXCLUDED.lines_done, rows_done = strata_bulk_loads.rows_done + $4, status = EXCLUDED.status, updated_at = now()`;
