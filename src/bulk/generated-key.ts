import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { introspect } from '../db/index.js';

/**
 * The primary key column a load fills in itself: a single `uuid` primary key with no default that
 * the input leaves out (strata's tables take UUIDv7 ids made by the application, as the catalog's
 * `products.id`). Each new row gets a fresh UUIDv7; an upsert never updates it, so an existing row
 * keeps its id. Undefined when the input has the column, or the table makes its own key.
 */
export async function generatedKeyOf<DB>(db: Kysely<DB>, schema: string, table: string, inputColumns: readonly string[]): Promise<string | undefined> {
  const catalog = introspect(db);
  const primaryKey = await catalog.primaryKey(schema, table);
  if (primaryKey.length !== 1) return undefined;
  const key = (await catalog.columns(schema, table)).find((c) => c.name === primaryKey[0]);
  if (key?.type !== 'uuid' || key.hasDefault || key.identity || key.generated || inputColumns.includes(key.name)) return undefined;
  return key.name;
}

/** A new UUIDv7 as text (time-ordered, so new rows land at the end of the primary key's index). */
export const newKey = (): string => uuidv7();
