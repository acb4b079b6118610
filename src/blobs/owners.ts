import { type Kysely, sql } from 'kysely';
import { ensureStrataSchema, introspect, quoteIdent as q, StrataError } from '../db/index.js';
import { baseTableOf } from '../softdelete/index.js';
import { ATTACHMENTS } from './tables.js';

export interface EnableAttachmentsOptions {
  /** The owner table as attachments name it (`owner.table`); a soft-delete table's rows are in `<table>_all`, which gets the trigger. */
  readonly table: string;
  readonly schema?: string;
}

const FUNCTION = 'strata.release_attachments';

/**
 * Makes a hard delete of an owner row (a purge of a soft-deleted one, or a plain DELETE) release
 * its attachments in the same transaction, whichever client deletes it: an AFTER DELETE trigger on
 * the table that holds the rows. The blobs become collectable by gc after its grace period. A soft
 * delete keeps them (a restore brings the images back). Idempotent.
 *
 * @example
 * await enableAttachments(db, { table: 'products' });
 */
export async function enableAttachments<DB>(db: Kysely<DB>, options: EnableAttachmentsOptions): Promise<void> {
  await ensureStrataSchema(db);
  const schema = options.schema ?? 'public';
  const base = await baseTableOf(db, options.table, schema);
  const key = await introspect(db).primaryKey(base.schema, base.table);
  if (key.length !== 1) throw new StrataError('NOT_FOUND', `${schema}.${options.table} needs a one-column primary key to own attachments`);
  await sql
    .raw(`CREATE OR REPLACE FUNCTION ${FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM ${ATTACHMENTS} WHERE owner_table = TG_ARGV[0] AND owner_id = to_jsonb(OLD) ->> TG_ARGV[1];
        RETURN NULL;
      END $$`)
    .execute(db);
  const table = `${q(base.schema)}.${q(base.table)}`;
  const trigger = q(`${base.table}_release_attachments`);
  await sql.raw(`DROP TRIGGER IF EXISTS ${trigger} ON ${table}`).execute(db);
  await sql`CREATE TRIGGER ${sql.raw(trigger)} AFTER DELETE ON ${sql.raw(table)}
             FOR EACH ROW EXECUTE FUNCTION ${sql.raw(FUNCTION)}(${sql.lit(options.table)}, ${sql.lit(key[0] as string)})`.execute(db);
}
