import { type Kysely, sql } from 'kysely';
import { introspect, quoteIdent as q } from '../db/index.js';
import { LIVE_PREDICATE, namesFor, SOFT_DELETE_COLUMNS } from '../softdelete/index.js';
import { SHADOW_PREFIX } from './names.js';
import type { TableView, ViewColumn } from './steps.js';

/** Tables of Kysely's migrator, adopted by strata's ledger: never part of a version. */
const SKIPPED = new Set(['kysely_migration', 'kysely_migration_lock']);

const softDeleteColumns = new Set<string>(SOFT_DELETE_COLUMNS);

const select = (columns: readonly ViewColumn[]) => columns.map((c) => (c.physical === c.as ? q(c.physical) : `${q(c.physical)} AS ${q(c.as)}`)).join(', ');

/**
 * The statements that (re)create a version schema: one view per table under the version's names
 * (auto-updatable, so both reads and writes go through it), and for a soft-delete table its live
 * view (with the same INSTEAD OF DELETE trigger as the table's own), `<t>_deleted` and `<t>_all`.
 */
export async function renderVersionViews<DB>(db: Kysely<DB>, schema: string, version: string, overrides: readonly TableView[]): Promise<string[]> {
  const catalog = introspect(db);
  const relations = await catalog.relations(schema);
  const views = new Set(relations.filter((r) => r.kind === 'view').map((r) => r.name));
  const byTable = new Map(overrides.map((o) => [o.table, o]));
  const out = [`DROP SCHEMA IF EXISTS ${q(version)} CASCADE`, `CREATE SCHEMA ${q(version)}`];
  const from = (name: string) => `${q(schema)}.${q(name)}`;
  const into = (name: string) => `${q(version)}.${q(name)}`;
  const defaults = (view: string, override: TableView | undefined, shown: readonly ViewColumn[]) =>
    (override?.defaults ?? [])
      .filter((d) => shown.some((c) => c.as === d.column))
      .map((d) => `ALTER VIEW ${into(view)} ALTER COLUMN ${q(d.column)} SET DEFAULT ${d.expression}`);
  for (const relation of relations) {
    if (relation.kind !== 'table' || SKIPPED.has(relation.name)) continue;
    const live = relation.name.endsWith('_all') ? relation.name.slice(0, -4) : undefined;
    const softDelete = live !== undefined && views.has(live);
    const table = softDelete && live ? live : relation.name;
    const override = byTable.get(table);
    if (override?.hidden) continue;
    const name = override?.name ?? table;
    const physical = await catalog.columns(schema, relation.name);
    const columns: readonly ViewColumn[] =
      override?.columns !== undefined
        ? override.columns
        : physical.filter((c) => !c.name.startsWith(SHADOW_PREFIX)).map((c) => ({ physical: c.name, as: c.name }));
    if (!softDelete) {
      out.push(`CREATE VIEW ${into(name)} AS SELECT ${select(columns)} FROM ${from(relation.name)}`, ...defaults(name, override, columns));
      continue;
    }
    const n = namesFor(table, schema);
    const shown = columns.filter((c) => !softDeleteColumns.has(c.physical));
    const target = namesFor(name, version);
    out.push(
      `CREATE VIEW ${into(target.live)} AS SELECT ${select(shown)} FROM ${from(n.base)} WHERE ${LIVE_PREDICATE}`,
      ...defaults(target.live, override, shown),
      `CREATE TRIGGER ${q(n.trigger)} INSTEAD OF DELETE ON ${into(target.live)} FOR EACH ROW EXECUTE FUNCTION ${from(n.fn)}()`,
      `CREATE VIEW ${into(target.deleted)} AS SELECT ${select(columns)} FROM ${from(n.base)} WHERE deleted_at IS NOT NULL`,
      `CREATE VIEW ${into(target.base)} AS SELECT ${select(columns)} FROM ${from(n.base)}`,
      ...defaults(target.base, override, columns),
    );
  }
  return out;
}

export async function createVersionViews<DB>(db: Kysely<DB>, schema: string, version: string, overrides: readonly TableView[]): Promise<void> {
  for (const statement of await renderVersionViews(db, schema, version, overrides)) await sql.raw(statement).execute(db);
}
