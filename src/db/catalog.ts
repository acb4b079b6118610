import { type Kysely, sql } from 'kysely';
import { StrataError } from './errors.js';

export interface IndexInfo {
  readonly name: string;
  readonly definition: string;
  readonly constraint: string | null;
  readonly constraintType: string | null;
  readonly primary: boolean;
}

export interface UniqueConstraint {
  readonly name: string;
  readonly columns: readonly string[];
}

export async function relationKind<DB>(db: Kysely<DB>, schema: string, name: string): Promise<string | undefined> {
  const { rows } = await sql<{ kind: string }>`
    SELECT c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schema} AND c.relname = ${name}`.execute(db);
  return rows[0]?.kind;
}

export async function columnsOf<DB>(db: Kysely<DB>, schema: string, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT a.attname AS name FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND c.relname = ${table} AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`.execute(db);
  return rows.map((r) => r.name);
}

export async function primaryKeyOf<DB>(db: Kysely<DB>, schema: string, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT a.attname AS name FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE n.nspname = ${schema} AND c.relname = ${table} AND i.indisprimary
     ORDER BY k.ord`.execute(db);
  return rows.map((r) => r.name);
}

export async function indexesOf<DB>(db: Kysely<DB>, schema: string, table: string): Promise<IndexInfo[]> {
  const { rows } = await sql<{ name: string; definition: string; constraint: string | null; constraint_type: string | null; primary: boolean }>`
    SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, con.conname AS constraint, con.contype::text AS constraint_type, i.indisprimary AS primary
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_class ic ON ic.oid = i.indexrelid
      LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = c.oid
     WHERE n.nspname = ${schema} AND c.relname = ${table}
     ORDER BY ic.relname`.execute(db);
  return rows.map((r) => ({ name: r.name, definition: r.definition, constraint: r.constraint, constraintType: r.constraint_type, primary: r.primary }));
}

export interface ColumnInfo {
  readonly name: string;
  /** SQL type as `format_type` spells it, e.g. `bigint`, `text[]`, `timestamp with time zone`. */
  readonly type: string;
}

export async function columnTypesOf<DB>(db: Kysely<DB>, schema: string, table: string): Promise<ColumnInfo[]> {
  const { rows } = await sql<ColumnInfo>`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND c.relname = ${table} AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`.execute(db);
  return rows;
}

/**
 * The table that holds a relation's rows: itself, or `<name>_all` when `<name>` is a soft-delete
 * view over it (then `softDeleted` is true).
 *
 * @example
 * await writableTable(db, 'products') // { schema: 'public', table: 'products_all', softDeleted: true }
 */
export async function writableTable<DB>(db: Kysely<DB>, name: string, schema = 'public'): Promise<{ schema: string; table: string; softDeleted: boolean }> {
  const own = await relationKind(db, schema, name);
  if (own === 'v' && (await relationKind(db, schema, `${name}_all`)) === 'r') return { schema, table: `${name}_all`, softDeleted: true };
  if (own !== 'r') throw new StrataError('NOT_FOUND', `${schema}.${name} is not a table`);
  return { schema, table: name, softDeleted: false };
}
