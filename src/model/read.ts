import type { Kysely } from 'kysely';
import { type ColumnInfo, introspect, withTransaction } from '../db/index.js';
import { LIVE_PREDICATE, namesFor, SOFT_DELETE_COLUMNS } from '../softdelete/index.js';
import { useSchema } from './apply.js';
import { type CatalogExtras, readExtras } from './catalog.js';
import type { ColumnSpec } from './column.js';
import type { DomainSpec, ForeignKeySpec, IndexSpec, TableSpec } from './define.js';
import { withoutTerm } from './predicate.js';
import type { ModelSnapshot, ViewSpec } from './snapshot.js';

/** Columns a migration in progress keeps in step (`_strata_…`): never part of the model. */
const MIGRATION_PREFIX = '_strata_';

interface Layout {
  /** Table name -> the relation holding its rows. */
  readonly tables: Map<string, { base: string; softDelete: boolean; history: boolean }>;
  /** Relations that are strata's parts of a table (`<t>_all`, its views, `<t>_history`). */
  readonly parts: Set<string>;
}

/** Recognises strata's own objects: a soft-deleted table's `<t>_all` and views, a history table. */
function layoutOf(relations: readonly { name: string; kind: string }[], extras: CatalogExtras): Layout {
  const kinds = new Map(relations.map((r) => [r.name, r.kind]));
  const tables: Layout['tables'] = new Map();
  const parts = new Set<string>();
  for (const r of relations) {
    const n = namesFor(r.name);
    const softDelete = r.kind === 'view' && kinds.get(n.base) === 'table' && (extras.triggers.get(r.name) ?? []).includes(n.trigger);
    if (softDelete) {
      parts.add(n.base);
      if (kinds.get(n.deleted) === 'view') parts.add(n.deleted);
    } else if (r.kind !== 'table' && r.kind !== 'partitioned-table') continue;
    tables.set(r.name, { base: softDelete ? n.base : r.name, softDelete, history: false });
  }
  for (const [name, t] of tables) {
    const history = `${name}_history`;
    if (kinds.get(history) === 'table' && (extras.triggers.get(t.base) ?? []).includes(`${name}_history_after`)) {
      t.history = true;
      parts.add(history);
    }
  }
  for (const part of parts) tables.delete(part);
  return { tables, parts };
}

function columnSpec(table: string, c: ColumnInfo, extras: CatalogExtras): ColumnSpec {
  const extra = extras.columnExtras.get(`${table}.${c.name}`);
  return {
    type: c.type,
    nullable: c.nullable,
    default: c.hasDefault && !c.identity ? c.defaultExpression : null,
    generated: extra?.generated ?? null,
    identity: extra?.identity ?? null,
    expose: true,
    comment: extras.comments.get(`${table}.${c.name}`) ?? null,
  };
}

const isHistoryVersion = (c: ColumnInfo) => c.name === 'version' && c.type === 'integer' && !c.nullable && c.defaultExpression === '1';

async function readTable<DB>(
  db: Kysely<DB>,
  schema: string,
  name: string,
  t: { base: string; softDelete: boolean; history: boolean },
  layout: Layout,
  extras: CatalogExtras,
): Promise<TableSpec> {
  const catalog = introspect(db);
  const columns: Record<string, ColumnSpec> = {};
  for (const c of await catalog.columns(schema, t.base)) {
    if (t.softDelete && (SOFT_DELETE_COLUMNS as readonly string[]).includes(c.name)) continue;
    if (t.history && isHistoryVersion(c)) continue;
    if (c.name.startsWith(MIGRATION_PREFIX)) continue;
    columns[c.name] = columnSpec(t.base, c, extras);
  }
  const indexes: IndexSpec[] = [];
  for (const i of await catalog.indexes(schema, t.base)) {
    if (i.primary || i.constraintType === 'exclusion') continue;
    if (t.softDelete && (i.name === `${t.base}_live_pkey` || i.name === `${t.base}_deleted_at`)) continue;
    const keys = extras.indexKeys.get(`${t.base}.${i.name}`);
    const where = t.softDelete ? withoutTerm(i.predicate, `(${LIVE_PREDICATE})`) : i.predicate;
    indexes.push({
      name: i.name,
      keys: (keys?.keys ?? i.columns.map((column) => ({ column }))).map((k) => ('column' in k ? k.column : { expression: k.expression })),
      ...(i.unique ? { unique: true } : {}),
      ...(where !== null ? { where } : {}),
      ...(keys && keys.using !== 'btree' ? { using: keys.using } : {}),
    });
  }
  const foreignKeys: ForeignKeySpec[] = (await catalog.foreignKeys(schema, t.base)).map((fk) => {
    const sameSchema = fk.referencedSchema === schema;
    const target = sameSchema ? [...layout.tables].find(([, other]) => other.base === fk.referencedTable)?.[0] : undefined;
    const actions = extras.fkActions.get(`${t.base}.${fk.name}`);
    return {
      name: fk.name,
      columns: fk.columns,
      references: { table: target ?? fk.referencedTable, columns: fk.referencedColumns, ...(sameSchema ? {} : { schema: fk.referencedSchema }) },
      ...(actions && actions.onDelete !== 'no action' ? { onDelete: actions.onDelete } : {}),
      ...(actions && actions.onUpdate !== 'no action' ? { onUpdate: actions.onUpdate } : {}),
    };
  });
  const checks = Object.fromEntries((await catalog.checkConstraints(schema, t.base)).map((c) => [c.name, c.expression]));
  return {
    name,
    columns,
    primaryKey: await catalog.primaryKey(schema, t.base),
    indexes,
    checks,
    foreignKeys,
    softDelete: t.softDelete,
    history: t.history,
    comment: extras.comments.get(t.base) ?? null,
  };
}

/**
 * Reads a live schema into the model's plain form, recognising strata's own objects: a
 * soft-deleted table comes back as one table with `softDelete` (its `<t>_all`, views, trigger and
 * live-only indexes folded back), a versioned one with `history` (its `<t>_history` table and the
 * `version` column folded back). Everything as PostgreSQL renders it.
 *
 * @example
 * const live = await introspectModel(db, { schema: 'public' });
 */
export function introspectModel<DB>(db: Kysely<DB>, options: { schema?: string } = {}): Promise<ModelSnapshot> {
  const schema = options.schema ?? 'public';
  return withTransaction(db, async (trx) => {
    await useSchema(trx, schema);
    const extras = await readExtras(trx, schema);
    const relations = await introspect(trx).relations(schema);
    const layout = layoutOf(relations, extras);
    const tables: TableSpec[] = [];
    for (const [name, t] of layout.tables) tables.push(await readTable(trx, schema, name, t, layout, extras));
    const views: ViewSpec[] = [];
    for (const r of relations) {
      if (r.kind !== 'view' || layout.parts.has(r.name) || layout.tables.has(r.name)) continue;
      const columns = Object.fromEntries((await introspect(trx).columns(schema, r.name)).map((c) => [c.name, columnSpec(r.name, c, extras)]));
      views.push({ name: r.name, definition: extras.views.get(r.name) ?? '', columns, comment: extras.comments.get(r.name) ?? null });
    }
    const domains: DomainSpec[] = extras.domains.map((d) => ({
      name: d.name,
      type: d.type,
      nullable: d.nullable,
      default: d.default,
      checks: Object.fromEntries(d.checks.map((c) => [c.name, c.expression])),
      comment: d.comment,
    }));
    return { enums: extras.enums, domains, tables, views };
  });
}
