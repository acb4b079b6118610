import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';

/**
 * The primary key column a load fills in itself: a single `uuid` primary key with no default that
 * the input leaves out (strata's tables take UUIDv7 ids made by the application, as the catalog's
 * `products.id`). Each new row gets a fresh UUIDv7; an upsert never updates it, so an existing row
 * keeps its id. Undefined when the input has the column, or the table makes its own key.
 */
export async function generatedKeyOf<DB>(db: Kysely<DB>, schema: string, table: string, inputColumns: readonly string[]): Promise<string | undefined> {
  const { rows } = await sql<{ name: string; type: string; has_default: boolean; identity: string; generated: string }>`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.atthasdef AS has_default,
           a.attidentity::text AS identity, a.attgenerated::text AS generated
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
     WHERE n.nspname = ${schema} AND c.relname = ${table} AND i.indisprimary`.execute(db);
  const key = rows.length === 1 ? rows[0] : undefined;
  if (key?.type !== 'uuid' || key.has_default || key.identity !== '' || key.generated !== '' || inputColumns.includes(key.name)) return undefined;
  return key.name;
}

/** A new UUIDv7 as text (time-ordered, so new rows land at the end of the primary key's index). */
export const newKey = (): string => uuidv7();
