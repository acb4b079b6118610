import { type Kysely, sql } from 'kysely';
import { quoteIdent as q, StrataError } from '../db/index.js';

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

const kind = async <DB>(db: Kysely<DB>, schema: string, name: string) =>
  (
    await sql<{ kind: string }>`SELECT c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schema} AND c.relname = ${name}`.execute(db)
  ).rows[0]?.kind;

/** Resolves the base table (looking through a soft-delete view) and its key and bookkeeping columns. */
export async function resolveRelations<DB>(db: Kysely<DB>, table: string, schema = 'public'): Promise<HistoryRelations> {
  const own = await kind(db, schema, table);
  const base = own === 'v' && (await kind(db, schema, `${table}_all`)) === 'r' ? `${table}_all` : table;
  if ((await kind(db, schema, base)) !== 'r') throw new StrataError('NOT_FOUND', `${schema}.${table} is not a table`);
  const { rows } = await sql<{ name: string; pk: boolean }>`
    SELECT a.attname AS name, coalesce(i.indisprimary, false) AS pk
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)
     WHERE n.nspname = ${schema} AND c.relname = ${base} AND a.attnum > 0 AND NOT a.attisdropped`.execute(db);
  const pks = rows.filter((r) => r.pk).map((r) => r.name);
  if (pks.length !== 1 || !pks[0]) throw new StrataError('NOT_FOUND', `${table} needs a single-column primary key for history`);
  const names = new Set(rows.map((r) => r.name));
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
