import { sql } from 'kysely';
import { adoptLegacyTable, defineInternalSteps, strataTable } from '../db/index.js';

/** `strata.bulk_loads`: a load's totals and status, one row per load. */
export const LOADS_TABLE = strataTable('bulk_loads');
/** `strata.bulk_chunks`: one row per committed chunk, its input line range. */
export const CHUNKS_TABLE = strataTable('bulk_chunks');

defineInternalSteps([
  {
    id: 'bulk/1-load-progress',
    async up(db) {
      await adoptLegacyTable(db, 'strata_bulk_loads', 'bulk_loads');
      await adoptLegacyTable(db, 'strata_bulk_chunks', 'bulk_chunks');
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${LOADS_TABLE} (
          load_id text PRIMARY KEY,
          table_name text NOT NULL,
          lines_done bigint NOT NULL DEFAULT 0,
          rows_done bigint NOT NULL DEFAULT 0,
          status text NOT NULL DEFAULT 'running',
          started_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now())`)
        .execute(db);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${CHUNKS_TABLE} (
          load_id text NOT NULL,
          first_line bigint NOT NULL,
          last_line bigint NOT NULL,
          rows bigint NOT NULL,
          committed_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (load_id, first_line))`)
        .execute(db);
    },
  },
  {
    id: 'bulk/2-rejected-per-chunk',
    async up(db) {
      await sql.raw(`ALTER TABLE ${CHUNKS_TABLE} ADD COLUMN IF NOT EXISTS rejected bigint NOT NULL DEFAULT 0`).execute(db);
    },
  },
]);
