import type { Kysely } from 'kysely';
import { columnsOf, primaryKeyOf, quoteIdent as q, StrataError, writableTable } from '../db/index.js';

/** Where a versioned table's rows and history live. */
export interface HistoryRelations {
  readonly schema: string;
  readonly table: string;
  /** The table the triggers sit on: `<table>_all` under soft deletes, else the table itself. */
  readonly base: string;
  readonly history: string;
  readonly primaryKey: string;
  readonly hasUpdatedAt: boolean;
  readonly hasDeletedAt: boolean;
}

/** Resolves the base table (looking through a soft-delete view) and its key and bookkeeping columns. */
export async function resolveRelations<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<HistoryRelations> {
  const { table: base } = await writableTable(db, table, schema);
  const pks = await primaryKeyOf(db, schema, base);
  if (pks.length !== 1 || !pks[0]) throw new StrataError('NOT_FOUND', `${table} needs a single-column primary key for history`);
  const names = new Set(await columnsOf(db, schema, base));
  return {
    schema,
    table,
    base,
    history: `${table}_history`,
    primaryKey: pks[0],
    hasUpdatedAt: names.has('updated_at'),
    hasDeletedAt: names.has('deleted_at'),
  };
}

export const rel = (r: HistoryRelations, name: string) => `${q(r.schema)}.${q(name)}`;
