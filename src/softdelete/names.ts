/** The columns soft deletes add to a table; they never reach an output and are never reverted. */
export const SOFT_DELETE_COLUMNS = ['deleted_at', 'deleted_by', 'deleted_batch'] as const;

/** The live-row predicate: the live view's WHERE clause and every partial unique index's. */
export const LIVE_PREDICATE = 'deleted_at IS NULL';

/** The live-row predicate on a table alias, e.g. `t.deleted_at IS NULL`. */
export const liveOn = (alias: string) => `${alias}.${LIVE_PREDICATE}`;

/** The relations soft deletes create for a table `t`: `t` (live view), `t_all` (base), `t_deleted` (view). */
export interface SoftDeleteNames {
  readonly schema: string;
  readonly live: string;
  readonly base: string;
  readonly deleted: string;
  readonly trigger: string;
  readonly fn: string;
}

export function namesFor(table: string, schema = 'public'): SoftDeleteNames {
  return {
    schema,
    live: table,
    base: `${table}_all`,
    deleted: `${table}_deleted`,
    trigger: `${table}_soft_delete`,
    fn: `strata_soft_delete_${table}`,
  };
}

/**
 * The explicit, named path to every row of a soft-deleted table, deleted ones included.
 *
 * @example
 * await db.selectFrom(withDeleted('products')).selectAll().execute();
 */
export function withDeleted<T extends string>(table: T): `${T}_all` {
  return `${table}_all`;
}

/**
 * The explicit, named path to the deleted rows only.
 *
 * @example
 * await db.selectFrom(onlyDeleted('products')).select(['id', 'deleted_at']).execute();
 */
export function onlyDeleted<T extends string>(table: T): `${T}_deleted` {
  return `${table}_deleted`;
}
