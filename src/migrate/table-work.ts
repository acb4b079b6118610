import type { Kysely } from 'kysely';
import { type ColumnInfo, introspect, quoteIdent as q, StrataError } from '../db/index.js';
import { baseTableOf, LIVE_PREDICATE } from '../softdelete/index.js';
import type { BackfillAssignment, TableView, ViewColumn } from './steps.js';
import type { SyncAssignment } from './sync.js';

/** What a migration does to one table, gathered operation by operation before the steps are laid out. */
export interface TableWork {
  readonly schema: string;
  /** The table's name (the live view's under soft deletes). */
  readonly table: string;
  /** The physical table: `<table>_all` under soft deletes. */
  readonly base: string;
  readonly softDelete: boolean;
  readonly key: string | undefined;
  /** Physical columns when planned, then those the migration adds. */
  readonly columns: ColumnInfo[];
  /** Created by this migration (nothing to keep in sync). */
  readonly created: boolean;
  viewName: string;
  hidden: boolean;
  /** physical → name in the new version. */
  readonly shownAs: Map<string, string>;
  /** Physical columns the new version does not show. */
  readonly hiddenColumns: Set<string>;
  /** Physical columns only the new version writes. */
  readonly newOnly: Set<string>;
  readonly viewDefaults: Map<string, string>;
  readonly sync: SyncAssignment[];
  readonly backfill: BackfillAssignment[];
}

export const rel = (schema: string, name: string) => `${q(schema)}.${q(name)}`;

/** The live-row condition to add to an index or unique key of a soft-delete table. */
export const livePredicate = (work: TableWork, where?: string) => (work.softDelete ? (where ? `(${where}) AND ${LIVE_PREDICATE}` : LIVE_PREDICATE) : where);

export async function loadTable<DB>(db: Kysely<DB>, schema: string, table: string): Promise<TableWork> {
  const kind = await introspect(db).relationKind(schema, table);
  if (kind !== 'table' && kind !== 'view') throw new StrataError('MIGRATION_INVALID', `${schema}.${table} does not exist`);
  const base = await baseTableOf(db, table, schema).catch(() => undefined);
  if (!base) throw new StrataError('MIGRATION_INVALID', `${schema}.${table} is a view, not a table strata can migrate`);
  const catalog = introspect(db);
  const key = await catalog.primaryKey(schema, base.table);
  return work(
    { schema, table, base: base.table, softDelete: base.softDeleted, key: key.length === 1 ? key[0] : undefined, created: false },
    await catalog.columns(schema, base.table),
  );
}

export function createdTable(schema: string, table: string, columns: ColumnInfo[], key: string | undefined): TableWork {
  return work({ schema, table, base: table, softDelete: false, key, created: true }, columns);
}

/** A table's work before any operation touched it: shown under its own name, nothing hidden, synced or backfilled. */
function work(identity: Pick<TableWork, 'schema' | 'table' | 'base' | 'softDelete' | 'key' | 'created'>, columns: ColumnInfo[]): TableWork {
  return {
    ...identity,
    columns,
    viewName: identity.table,
    hidden: false,
    shownAs: new Map(),
    hiddenColumns: new Set(),
    newOnly: new Set(),
    viewDefaults: new Map(),
    sync: [],
    backfill: [],
  };
}

export function columnOf(work: TableWork, name: string): ColumnInfo {
  const column = work.columns.find((c) => c.name === name);
  if (!column) throw new StrataError('MIGRATION_INVALID', `${work.schema}.${work.table} has no column ${name}`);
  return column;
}

/** The physical column the new version shows under `name`. */
export function physicalOf(work: TableWork, name: string): string | undefined {
  for (const [physical, as] of work.shownAs) if (as === name) return physical;
  if (work.hiddenColumns.has(name) || work.shownAs.has(name)) return undefined;
  return work.columns.some((c) => c.name === name) ? name : undefined;
}

/** The new version's view of the table, for the views step. */
export function tableView(work: TableWork): TableView {
  const touched = work.shownAs.size > 0 || work.hiddenColumns.size > 0;
  const columns: ViewColumn[] | undefined = touched
    ? work.columns
        .filter((c) => !work.hiddenColumns.has(c.name))
        .filter((c) => !c.name.startsWith('_strata_') || work.shownAs.has(c.name))
        .map((c) => ({ physical: c.name, as: work.shownAs.get(c.name) ?? c.name }))
    : undefined;
  return {
    table: work.table,
    name: work.viewName,
    ...(columns ? { columns } : {}),
    ...(work.viewDefaults.size > 0 ? { defaults: [...work.viewDefaults].map(([column, expression]) => ({ column, expression })) } : {}),
    ...(work.hidden ? { hidden: true } : {}),
  };
}
