import { sql } from 'kysely';
import { adoptLegacyTable, defineInternalSteps, strataTable } from '../db/index.js';

/** `strata.idempotency_keys`: one row per (principal, key), with the stored response once done. */
export const KEYS_TABLE = strataTable('idempotency_keys');

defineInternalSteps([
  {
    id: 'upsert/1-idempotency-keys',
    async up(db) {
      await adoptLegacyTable(db, 'strata_idempotency_keys', 'idempotency_keys');
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${KEYS_TABLE} (
          principal text NOT NULL,
          key text NOT NULL,
          method text NOT NULL,
          path text NOT NULL,
          body_hash text NOT NULL,
          state text NOT NULL CHECK (state IN ('in_flight', 'done')),
          token uuid NOT NULL,
          locked_until timestamptz,
          expires_at timestamptz NOT NULL,
          response_status int,
          response_headers jsonb,
          response_body text,
          created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
          PRIMARY KEY (principal, key))`)
        .execute(db);
      await sql.raw(`CREATE INDEX IF NOT EXISTS strata_idempotency_keys_expires ON ${KEYS_TABLE} (expires_at)`).execute(db);
    },
  },
]);
