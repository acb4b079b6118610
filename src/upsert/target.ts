import type { Kysely } from 'kysely';
import { type ColumnInfo, introspect, StrataError } from '../db/index.js';
import { baseTableOf, LIVE_PREDICATE } from '../softdelete/index.js';

/** Where an upsert writes and which unique index arbitrates its key. */
export interface UpsertTarget {
  readonly schema: string;
  /** The table rows live in (`<name>_all` under soft deletes). */
  readonly table: string;
  readonly softDeleted: boolean;
  readonly key: readonly string[];
  /** The arbiter index's predicate (the live-row predicate for soft-delete tables), if partial. */
  readonly predicate?: string;
  /** The arbiter index's name: a unique violation of any other index is not the upsert's to handle. */
  readonly indexName: string;
  /** The table's primary key columns (empty without one): a default update never rewrites them. */
  readonly primaryKey: readonly string[];
  /** The DEFERRABLE constraint the arbiter backs, if so: ON CONFLICT cannot use it, so `auto` takes the fallback. */
  readonly deferrable?: string;
  readonly columns: ReadonlyMap<string, ColumnInfo>;
}

const sameColumns = (a: readonly string[], b: readonly string[]) => [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

/**
 * Finds the unique index whose columns are exactly `key` (a partial one only when it is the
 * live-rows index of a soft-delete table), or fails with UPSERT_NO_UNIQUE_INDEX.
 */
export async function resolveTarget<DB>(db: Kysely<DB>, relation: string, key: readonly string[], schema = 'public'): Promise<UpsertTarget> {
  const { table, softDeleted } = await baseTableOf(db, relation, schema);
  const catalog = introspect(db);
  const indexes = await catalog.indexes(schema, table);
  const usable = indexes.filter(
    (i) => i.unique && !i.expressions && sameColumns(i.columns, key) && (i.predicate === null || i.predicate === `(${LIVE_PREDICATE})`),
  );
  const arbiter = usable.find((i) => i.predicate === null) ?? usable[0];
  if (!arbiter) {
    throw new StrataError(
      'UPSERT_NO_UNIQUE_INDEX',
      `no unique index on ${relation} covers exactly (${key.join(', ')}); upserts need one to decide what "the same row" means`,
    );
  }
  const columns = new Map((await catalog.columns(schema, table)).map((c) => [c.name, c]));
  for (const k of key) if (!columns.has(k)) throw new StrataError('UPSERT_NO_UNIQUE_INDEX', `${relation} has no column ${k}`);
  const primaryKey = indexes.find((i) => i.primary)?.columns ?? [];
  return {
    schema,
    table,
    softDeleted,
    key,
    indexName: arbiter.name,
    primaryKey,
    ...(arbiter.deferrable && arbiter.constraint ? { deferrable: arbiter.constraint } : {}),
    ...(arbiter.predicate ? { predicate: LIVE_PREDICATE } : {}),
    columns,
  };
}
