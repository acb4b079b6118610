import type { Kysely } from 'kysely';
import { introspect, StrataError } from '../db/index.js';
import { namesFor } from './names.js';

/** The table that holds a relation's rows. */
export interface BaseTable {
  readonly schema: string;
  /** The relation itself, or `<name>_all` when `<name>` is a soft-delete live view. */
  readonly table: string;
  readonly softDeleted: boolean;
}

/**
 * The table that holds a relation's rows: itself, or `<name>_all` when `<name>` is a soft-delete
 * view over it (then `softDeleted` is true). Other capabilities write through this, never by
 * spelling the naming convention themselves.
 *
 * @example
 * await baseTableOf(db, 'products'); // { schema: 'public', table: 'products_all', softDeleted: true }
 */
export async function baseTableOf<DB>(db: Kysely<DB>, name: string, schema = 'public'): Promise<BaseTable> {
  const catalog = introspect(db);
  const own = await catalog.relationKind(schema, name);
  const { base } = namesFor(name, schema);
  if (own === 'view' && (await catalog.relationKind(schema, base)) === 'table') return { schema, table: base, softDeleted: true };
  if (own !== 'table') throw new StrataError('NOT_FOUND', `${schema}.${name} is not a table`);
  return { schema, table: name, softDeleted: false };
}
