import { sql } from 'kysely';
import { defineInternalSteps, strataTable } from '../db/index.js';

/** `strata.blobs`: one row per stored content (sha256), wherever its bytes live. */
export const BLOBS = strataTable('blobs');
/** `strata.attachments`: who uses a blob (owner table and id, role, position, file name). */
export const ATTACHMENTS = strataTable('attachments');
/** `strata.blob_chunks`: the postgres backend's objects, one row per 1 MiB chunk. */
export const CHUNKS = strataTable('blob_chunks');
/** `strata.blob_trash`: objects no row uses any more, removed by gc once `remove_after` has passed. */
export const TRASH = strataTable('blob_trash');
/** `strata.blob_verify_runs`: verify's progress, so a killed run carries on where it stopped. */
export const VERIFY_RUNS = strataTable('blob_verify_runs');

defineInternalSteps([
  {
    id: 'blobs/1-blobs-attachments-chunks',
    async up(db) {
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${BLOBS} (
          id uuid PRIMARY KEY,
          sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
          size bigint NOT NULL CHECK (size >= 0),
          content_type text NOT NULL,
          backend text NOT NULL,
          key text NOT NULL,
          block_size integer NOT NULL CHECK (block_size > 0),
          block_hashes bytea NOT NULL,
          created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
          released_at timestamptz,
          verified_at timestamptz,
          verify_status text,
          UNIQUE (backend, key))`)
        .execute(db);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${ATTACHMENTS} (
          id uuid PRIMARY KEY,
          blob_id uuid NOT NULL REFERENCES ${BLOBS} (id),
          owner_table text NOT NULL,
          owner_id text NOT NULL,
          role text NOT NULL,
          position integer NOT NULL,
          file_name text,
          created_at timestamptz NOT NULL DEFAULT clock_timestamp())`)
        .execute(db);
      await sql.raw(`CREATE INDEX IF NOT EXISTS attachments_owner ON ${ATTACHMENTS} (owner_table, owner_id, role, position)`).execute(db);
      await sql.raw(`CREATE INDEX IF NOT EXISTS attachments_blob ON ${ATTACHMENTS} (blob_id)`).execute(db);
      // A detach (or an owner's purge) starts the blob's grace period; gc collects it after that.
      await sql
        .raw(`CREATE OR REPLACE FUNCTION strata.attachment_released() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            UPDATE ${BLOBS} SET released_at = clock_timestamp() WHERE id = OLD.blob_id;
            RETURN NULL;
          END $$`)
        .execute(db);
      await sql.raw(`DROP TRIGGER IF EXISTS attachment_released ON ${ATTACHMENTS}`).execute(db);
      await sql.raw(`CREATE TRIGGER attachment_released AFTER DELETE ON ${ATTACHMENTS} FOR EACH ROW EXECUTE FUNCTION strata.attachment_released()`).execute(db);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${CHUNKS} (
          key text NOT NULL,
          n integer NOT NULL,
          data bytea NOT NULL,
          written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
          PRIMARY KEY (key, n))`)
        .execute(db);
      // Chunks are compressed images and files already: store them out of line, uncompressed.
      await sql.raw(`ALTER TABLE ${CHUNKS} ALTER COLUMN data SET STORAGE EXTERNAL`).execute(db);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${TRASH} (
          backend text NOT NULL,
          key text NOT NULL,
          remove_after timestamptz NOT NULL,
          PRIMARY KEY (backend, key))`)
        .execute(db);
      await sql
        .raw(`CREATE TABLE IF NOT EXISTS ${VERIFY_RUNS} (
          id bigserial PRIMARY KEY,
          started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
          finished_at timestamptz,
          after_id uuid,
          checked bigint NOT NULL DEFAULT 0,
          bytes bigint NOT NULL DEFAULT 0)`)
        .execute(db);
    },
  },
]);
