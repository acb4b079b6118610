import type { Kysely } from 'kysely';
import type { ColumnInfo } from '../db/index.js';
import { introspect, quoteIdent as q, StrataError } from '../db/index.js';
import { baseTableOf, SOFT_DELETE_COLUMNS } from '../softdelete/index.js';

/** Where a versioned table's rows and history live. */
export interface HistoryRelations {
  readonly schema: string;
  readonly table: string;
  /** The table the triggers sit on: `<table>_all` under soft deletes, else the table itself. */
  readonly base: string;
  readonly history: string;
  readonly primaryKey: string;
  /** The primary key's SQL type (the history table's `row_id`). */
  readonly keyType: string;
  /** Bookkeeping columns the triggers stamp with the version's instant (date and timestamp types only). */
  readonly stamps: { readonly createdAt: boolean; readonly updatedAt: boolean };
  /** The column a version's `valid_from` is read from (a `timestamptz` stamp), else the trigger takes the clock itself. */
  readonly validFrom: { readonly insert?: 'created_at' | 'updated_at'; readonly update?: 'updated_at' };
  readonly hasDeletedAt: boolean;
  /** The base table's columns, in table order. */
  readonly columns: readonly ColumnInfo[];
}

const STAMPABLE = /^(timestamp|date)/;
const EXACT = 'timestamp with time zone';

/** Resolves the base table (looking through a soft-delete view) and its key and bookkeeping columns. */
export async function resolveRelations<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<HistoryRelations> {
  const { table: base } = await baseTableOf(db, table, schema);
  const catalog = introspect(db);
  const pks = await catalog.primaryKey(schema, base);
  if (pks.length !== 1 || !pks[0]) throw new StrataError('NOT_FOUND', `${table} needs a single-column primary key for history`);
  const columns = await catalog.columns(schema, base);
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const created = types.get('created_at') ?? '';
  const updated = types.get('updated_at') ?? '';
  const insertFrom = updated === EXACT ? 'updated_at' : created === EXACT ? 'created_at' : undefined;
  return {
    schema,
    table,
    base,
    history: `${table}_history`,
    primaryKey: pks[0],
    keyType: types.get(pks[0]) ?? 'text',
    stamps: { createdAt: STAMPABLE.test(created), updatedAt: STAMPABLE.test(updated) },
    validFrom: { ...(insertFrom ? { insert: insertFrom } : {}), ...(updated === EXACT ? { update: 'updated_at' as const } : {}) },
    hasDeletedAt: types.has(SOFT_DELETE_COLUMNS[0]),
    columns,
  };
}

export const rel = (r: HistoryRelations, name: string) => `${q(r.schema)}.${q(name)}`;
