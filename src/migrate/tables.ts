import { sql } from 'kysely';
import { defineInternalSteps, strataTable } from '../db/index.js';

/** `strata.migrations`: the ledger, one row per migration (name, checksum, state, its plan). */
export const LEDGER = strataTable('migrations');
/** `strata.migration_steps`: each finished step of a phase, and a running backfill's checkpoint. */
export const STEPS = strataTable('migration_steps');

defineInternalSteps([
  {
    id: 'migrate/1-ledger',
    async up(db) {
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${LEDGER} (
          name text PRIMARY KEY,
          schema_name text NOT NULL DEFAULT 'public',
          checksum text,
          state text NOT NULL,
          plan jsonb,
          adopted boolean NOT NULL DEFAULT false,
          started_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz)`)
        .execute(db);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${STEPS} (
          name text NOT NULL,
          phase text NOT NULL,
          step integer NOT NULL,
          done_at timestamptz,
          checkpoint text,
          rows bigint NOT NULL DEFAULT 0,
          PRIMARY KEY (name, phase, step))`)
        .execute(db);
    },
  },
]);
