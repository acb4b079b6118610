import type { Kysely } from 'kysely';
import { columnTypesOf, primaryKeyOf, quoteIdent as q, StrataError, writableTable } from '../db/index.js';

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
}

const STAMPABLE = /^(timestamp|date)/;
const EXACT = 'timestamp with time zone';

/** Resolves the base table (looking through a soft-delete view) and its key and bookkeeping columns. */
export async function resolveRelations<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<HistoryRelations> {
  const { table: base } = await writableTable(db, table, schema);
  const pks = await primaryKeyOf(db, schema, base);
  if (pks.length !== 1 || !pks[0]) throw new StrataError('NOT_FOUND', `${table} needs a single-column primary key for history`);
  const types = new Map((await columnTypesOf(db, schema, base)).map((c) => [c.name, c.type]));
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
    hasDeletedAt: types.has('deleted_at'),
  };
}

export const rel = (r: HistoryRelations, name: string) => `${q(r.schema)}.${q(name)}`;
