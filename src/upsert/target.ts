import { type Kysely, sql } from 'kysely';
import { type ColumnInfo, columnTypesOf, StrataError, writableTable } from '../db/index.js';

/** Where an upsert writes and which unique index arbitrates its key. */
export interface UpsertTarget {
  readonly schema: string;
  /** The table rows live in (`<name>_all` under soft deletes). */
  readonly table: string;
  readonly softDeleted: boolean;
  readonly key: readonly string[];
  /** The arbiter index's predicate (`deleted_at IS NULL` for soft-delete tables), if partial. */
  readonly predicate?: string;
  /** The arbiter index's name: a unique violation of any other index is not the upsert's to handle. */
  readonly indexName: string;
  /** The table's primary key columns (empty without one): a default update never rewrites them. */
  readonly primaryKey: readonly string[];
  readonly columns: ReadonlyMap<string, ColumnInfo>;
}

/**
 * Finds the unique index whose columns are exactly `key` (a partial one only when it is the
 * live-rows index of a soft-delete table), or fails with UPSERT_NO_UNIQUE_INDEX.
 */
export async function resolveTarget<DB>(db: Kysely<DB>, relation: string, key: readonly string[], schema = 'public'): Promise<UpsertTarget> {
  const { table, softDeleted } = await writableTable(db, relation, schema);
  const { rows } = await sql<{ name: string; columns: string[]; predicate: string | null; primary: boolean }>`
    SELECT min(ic.relname::text) AS name, array_agg(a.attname::text ORDER BY a.attname::text) AS columns, pg_get_expr(i.indpred, i.indrelid) AS predicate,
           i.indisprimary AS primary
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
      JOIN pg_class ic ON ic.oid = i.indexrelid
     WHERE n.nspname = ${schema} AND c.relname = ${table} AND i.indisunique AND i.indexprs IS NULL
     GROUP BY i.indexrelid, i.indpred, i.indrelid, i.indisprimary`.execute(db);
  const wanted = [...key].sort().join(',');
  const usable = rows.filter((r) => r.columns.join(',') === wanted && (r.predicate === null || r.predicate === '(deleted_at IS NULL)'));
  const arbiter = usable.find((r) => r.predicate === null) ?? usable[0];
  if (!arbiter) {
    throw new StrataError(
      'UPSERT_NO_UNIQUE_INDEX',
      `no unique index on ${relation} covers exactly (${key.join(', ')}); upserts need one to decide what "the same row" means`,
    );
  }
  const columns = new Map((await columnTypesOf(db, schema, table)).map((c) => [c.name, c]));
  for (const k of key) if (!columns.has(k)) throw new StrataError('UPSERT_NO_UNIQUE_INDEX', `${relation} has no column ${k}`);
  const primaryKey = rows.find((r) => r.primary)?.columns ?? [];
  return { schema, table, softDeleted, key, indexName: arbiter.name, primaryKey, ...(arbiter.predicate ? { predicate: 'deleted_at IS NULL' } : {}), columns };
}
