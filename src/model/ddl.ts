import { quoteIdent as q } from '../db/index.js';
import type { ColumnSpec } from './column.js';
import type { DomainSpec, ForeignKeySpec, IndexSpec, TableSpec } from './define.js';
import type { EnumSpec, ModelSnapshot, ViewSpec } from './snapshot.js';

const literal = (text: string) => `'${text.split("'").join("''")}'`;

function columnSql(name: string, c: ColumnSpec): string {
  return [
    q(name),
    c.type,
    c.generated !== null ? `GENERATED ALWAYS AS (${c.generated}) STORED` : '',
    c.identity !== null ? `GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY` : '',
    c.nullable ? '' : 'NOT NULL',
    c.default !== null ? `DEFAULT ${c.default}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function renderEnum(e: EnumSpec): string[] {
  const out = [`CREATE TYPE ${q(e.name)} AS ENUM (${e.values.map(literal).join(', ')})`];
  if (e.comment !== null) out.push(`COMMENT ON TYPE ${q(e.name)} IS ${literal(e.comment)}`);
  return out;
}

export function renderDomain(d: DomainSpec): string[] {
  const parts = [`CREATE DOMAIN ${q(d.name)} AS ${d.type}`];
  if (d.default !== null) parts.push(`DEFAULT ${d.default}`);
  if (!d.nullable) parts.push('NOT NULL');
  for (const [name, check] of Object.entries(d.checks)) parts.push(`CONSTRAINT ${q(name)} CHECK (${check})`);
  const out = [parts.join(' ')];
  if (d.comment !== null) out.push(`COMMENT ON DOMAIN ${q(d.name)} IS ${literal(d.comment)}`);
  return out;
}

/** CREATE TABLE with its columns, primary key and checks, then its comments. */
export function renderTable(t: TableSpec): string[] {
  const lines = Object.entries(t.columns).map(([name, c]) => columnSql(name, c));
  if (t.primaryKey.length > 0) lines.push(`CONSTRAINT ${q(`${t.name}_pkey`)} PRIMARY KEY (${t.primaryKey.map((c) => q(c)).join(', ')})`);
  for (const [name, check] of Object.entries(t.checks)) lines.push(`CONSTRAINT ${q(name)} CHECK (${check})`);
  const out = [`CREATE TABLE ${q(t.name)} (\n  ${lines.join(',\n  ')}\n)`];
  if (t.comment !== null) out.push(`COMMENT ON TABLE ${q(t.name)} IS ${literal(t.comment)}`);
  for (const [name, c] of Object.entries(t.columns)) {
    if (c.comment !== null) out.push(`COMMENT ON COLUMN ${q(t.name)}.${q(name)} IS ${literal(c.comment)}`);
  }
  return out;
}

const keySql = (key: IndexSpec['keys'][number]) => (typeof key === 'string' ? q(key) : `(${key.expression})`);

export function renderIndex(table: string, i: IndexSpec, options: { concurrently?: boolean } = {}): string {
  return [
    `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${options.concurrently ? 'CONCURRENTLY ' : ''}${q(i.name)} ON ${q(table)}`,
    i.using && i.using !== 'btree' ? `USING ${i.using}` : '',
    `(${i.keys.map(keySql).join(', ')})`,
    i.where ? `WHERE ${i.where}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function renderForeignKey(table: string, fk: ForeignKeySpec): string {
  const target = fk.references.schema ? `${q(fk.references.schema)}.${q(fk.references.table)}` : q(fk.references.table);
  return [
    `ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.columns.map((c) => q(c)).join(', ')})`,
    `REFERENCES ${target} (${fk.references.columns.map((c) => q(c)).join(', ')})`,
    fk.onDelete && fk.onDelete !== 'no action' ? `ON DELETE ${fk.onDelete.toUpperCase()}` : '',
    fk.onUpdate && fk.onUpdate !== 'no action' ? `ON UPDATE ${fk.onUpdate.toUpperCase()}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function renderView(v: ViewSpec): string[] {
  const out = [`CREATE VIEW ${q(v.name)} AS ${v.definition.trim().replace(/;$/, '')}`];
  if (v.comment !== null) out.push(`COMMENT ON VIEW ${q(v.name)} IS ${literal(v.comment)}`);
  return out;
}

/**
 * The DDL of a model for an empty schema, in dependency order (types, tables, indexes, foreign
 * keys, views), every name unqualified: run it with the target schema first on the search path.
 * Soft deletes and history are not DDL here: `applyModel` turns them on with their enablers.
 *
 * @example
 * for (const statement of renderModel(snapshotOf([status, products]))) console.log(`${statement};`);
 */
export function renderModel(model: ModelSnapshot): string[] {
  return [
    ...model.enums.flatMap(renderEnum),
    ...model.domains.flatMap(renderDomain),
    ...model.tables.flatMap(renderTable),
    ...model.tables.flatMap((t) => t.indexes.map((i) => renderIndex(t.name, i))),
    ...model.tables.flatMap((t) => t.foreignKeys.map((fk) => renderForeignKey(t.name, fk))),
    ...model.views.flatMap(renderView),
  ];
}
