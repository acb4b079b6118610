import { sql } from 'kysely';
import { adoptLegacyTable, defineInternalSteps, storageIdentitySql, strataTable } from '../db/index.js';

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
  {
    // The storage identity of the table a chunk went into (see resumeLoad): a rerun skips only chunks
    // whose rows are still in the table as it is now. Chunks of a load interrupted before this step
    // are taken to be in its table as it is at the upgrade (`<name>_all` under soft deletes), so that
    // load resumes as it did; a finished load starts over when run again in any case.
    id: 'bulk/3-table-identity',
    async up(db) {
      await sql.raw(`ALTER TABLE ${CHUNKS_TABLE} ADD COLUMN IF NOT EXISTS table_identity text`).execute(db);
      await sql.raw(`ALTER TABLE ${LOADS_TABLE} ADD COLUMN IF NOT EXISTS table_identity text`).execute(db);
      await sql
        .raw(`UPDATE ${LOADS_TABLE} l SET table_identity = coalesce((${storageIdentitySql('NULL', 'l.table_name')}),
                (${storageIdentitySql('NULL', "l.table_name || '_all'")})) WHERE l.status <> 'done'`)
        .execute(db);
      await sql
        .raw(`UPDATE ${CHUNKS_TABLE} c SET table_identity = l.table_identity FROM ${LOADS_TABLE} l
               WHERE l.load_id = c.load_id AND c.table_identity IS NULL AND l.status <> 'done'`)
        .execute(db);
    },
  },
]);
