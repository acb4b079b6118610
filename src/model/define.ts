import { StrataError } from '../db/index.js';
import type { Column, ColumnSpec, NamedType } from './column.js';
import type { SqlValue } from './sql-types.js';

/** An index key: a column name, or an expression as SQL text. */
export type IndexKey = string | { readonly expression: string };

export interface IndexSpec {
  readonly name: string;
  readonly keys: readonly IndexKey[];
  readonly unique?: boolean;
  /** The predicate of a partial index (SQL text). */
  readonly where?: string;
  /** Access method; default btree. */
  readonly using?: string;
}

export type ReferentialAction = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

export interface ForeignKeySpec {
  readonly name: string;
  readonly columns: readonly string[];
  /** The referenced table (its live name under soft deletes) and columns; `schema` when it is another one. */
  readonly references: { readonly table: string; readonly columns: readonly string[]; readonly schema?: string };
  readonly onDelete?: ReferentialAction;
  readonly onUpdate?: ReferentialAction;
}

/** A table as plain data: what `defineTable` produces and what introspection reads back. */
export interface TableSpec {
  readonly name: string;
  /** Columns in table order. */
  readonly columns: Readonly<Record<string, ColumnSpec>>;
  readonly primaryKey: readonly string[];
  readonly indexes: readonly IndexSpec[];
  /** CHECK constraints by name (SQL text). */
  readonly checks: Readonly<Record<string, string>>;
  readonly foreignKeys: readonly ForeignKeySpec[];
  /** strata soft deletes (`<t>_all`, live view, `<t>_deleted`): see strata/softdelete. */
  readonly softDelete: boolean;
  /** strata history (`<t>_history`, triggers, a database-owned `version`): see strata/history. */
  readonly history: boolean;
  readonly comment: string | null;
}

// biome-ignore lint/suspicious/noExplicitAny: any column, whatever its value, nullability and write mode
export type AnyColumn = Column<any, boolean, any>;

export interface TableDefinition<
  C extends Readonly<Record<string, AnyColumn>> = Readonly<Record<string, AnyColumn>>,
  Name extends string = string,
  SoftDelete extends boolean = boolean,
  History extends boolean = boolean,
> {
  readonly kind: 'table';
  readonly softDelete: SoftDelete;
  readonly history: History;
  readonly name: Name;
  readonly columns: C;
  readonly spec: TableSpec;
}

export interface EnumDefinition<V extends string = string> extends NamedType<V> {
  readonly kind: 'enum';
  readonly values: readonly V[];
  readonly comment: string | null;
}

export interface DomainSpec {
  readonly name: string;
  /** Its base type as PostgreSQL renders it. */
  readonly type: string;
  readonly nullable: boolean;
  readonly default: string | null;
  /** CHECK constraints by name (SQL text, over `VALUE`). */
  readonly checks: Readonly<Record<string, string>>;
  readonly comment: string | null;
}

export interface DomainDefinition<T = unknown> extends NamedType<T> {
  readonly kind: 'domain';
  readonly spec: DomainSpec;
}

export interface ViewDefinition<C extends Readonly<Record<string, AnyColumn>> = Readonly<Record<string, AnyColumn>>, Name extends string = string> {
  readonly kind: 'view';
  readonly name: Name;
  /** The SELECT, as SQL text. */
  readonly definition: string;
  /** The view's columns (their types, for the Kysely interface); not part of its DDL. */
  readonly columns: C;
  readonly comment: string | null;
}

export type Definition = TableDefinition | EnumDefinition | DomainDefinition | ViewDefinition;

export interface TableOptions<C extends Readonly<Record<string, AnyColumn>>, SoftDelete extends boolean = false, History extends boolean = false> {
  readonly columns: C;
  readonly primaryKey?: readonly (keyof C & string)[];
  readonly indexes?: readonly IndexSpec[];
  readonly checks?: Readonly<Record<string, string>>;
  readonly foreignKeys?: readonly ForeignKeySpec[];
  readonly softDelete?: SoftDelete;
  readonly history?: History;
  readonly comment?: string;
}

const invalid = (message: string) => new StrataError('MODEL_INVALID', message);

function checkColumns(table: string, what: string, names: readonly string[], columns: Readonly<Record<string, unknown>>): void {
  for (const name of names) if (!(name in columns)) throw invalid(`${table}: ${what} names the column ${name}, which the table does not declare`);
}

function checkUnique(table: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw invalid(`${table}: the name ${name} is used twice`);
    seen.add(name);
  }
}

/**
 * Declares a table code-first. From it come the DDL (`renderModel`, `applyModel`), the Kysely types
 * (`TableType`, `ModelDatabase`) and the zod schemas (`zodSchemas`).
 *
 * @example
 * export const products = defineTable('products', {
 *   columns: {
 *     id: column('uuid'),
 *     sku: column('text'),
 *     price: column('bigint'),
 *     cost: column('bigint').nullable().internal(),
 *   },
 *   primaryKey: ['id'],
 *   indexes: [{ name: 'products_sku_key', keys: ['sku'], unique: true }],
 *   checks: { products_price_nonnegative: 'price >= 0' },
 *   softDelete: true,
 *   history: true,
 * });
 */
export function defineTable<
  const Name extends string,
  C extends Readonly<Record<string, AnyColumn>>,
  SoftDelete extends boolean = false,
  History extends boolean = false,
>(name: Name, options: TableOptions<C, SoftDelete, History>): TableDefinition<C, Name, SoftDelete, History> {
  const columns = Object.fromEntries(Object.entries(options.columns).map(([n, c]) => [n, c.spec]));
  const primaryKey = options.primaryKey ?? [];
  const indexes = options.indexes ?? [];
  const foreignKeys = options.foreignKeys ?? [];
  const checks = options.checks ?? {};
  if (Object.keys(columns).length === 0) throw invalid(`${name}: a table needs at least one column`);
  checkColumns(name, 'the primary key', primaryKey, columns);
  for (const index of indexes) {
    checkColumns(
      name,
      `index ${index.name}`,
      index.keys.filter((k): k is string => typeof k === 'string'),
      columns,
    );
    if (index.keys.length === 0) throw invalid(`${name}: index ${index.name} has no keys`);
  }
  for (const fk of foreignKeys) {
    checkColumns(name, `foreign key ${fk.name}`, fk.columns, columns);
    if (fk.columns.length !== fk.references.columns.length)
      throw invalid(`${name}: foreign key ${fk.name} has ${fk.columns.length} columns and references ${fk.references.columns.length}`);
  }
  checkUnique(name, [...indexes.map((i) => i.name), ...Object.keys(checks), ...foreignKeys.map((f) => f.name)]);
  if ((options.softDelete || options.history) && primaryKey.length !== 1) throw invalid(`${name}: soft deletes and history need a single-column primary key`);
  const softDelete = (options.softDelete ?? false) as SoftDelete;
  const history = (options.history ?? false) as History;
  return {
    kind: 'table',
    name,
    softDelete,
    history,
    columns: options.columns,
    spec: {
      name,
      columns,
      primaryKey,
      indexes,
      checks,
      foreignKeys,
      softDelete,
      history,
      comment: options.comment ?? null,
    },
  };
}

/**
 * Declares an enum type.
 *
 * @example
 * export const status = defineEnum('order_status', ['open', 'paid', 'shipped']);
 */
export function defineEnum<const V extends string>(name: string, values: readonly V[], options: { comment?: string } = {}): EnumDefinition<V> {
  if (values.length === 0) throw invalid(`enum ${name} needs at least one value`);
  checkUnique(`enum ${name}`, values);
  return { kind: 'enum', name, values, comment: options.comment ?? null };
}

/**
 * Declares a domain: a base type with constraints, usable as a column type.
 *
 * @example
 * export const positive = defineDomain('positive_amount', 'bigint', { checks: { positive_amount_check: 'VALUE > 0' } });
 */
export function defineDomain<const S extends string>(
  name: string,
  type: S,
  options: { nullable?: boolean; default?: string; checks?: Readonly<Record<string, string>>; comment?: string } = {},
): DomainDefinition<SqlValue<S>> {
  return {
    kind: 'domain',
    name,
    spec: { name, type, nullable: options.nullable ?? true, default: options.default ?? null, checks: options.checks ?? {}, comment: options.comment ?? null },
  };
}

/**
 * Declares a view; `columns` gives its row type to Kysely.
 *
 * @example
 * export const expensive = defineView('expensive_products', 'SELECT id, price FROM products WHERE price > 10000', {
 *   columns: { id: column('uuid'), price: column('bigint') },
 * });
 */
export function defineView<const Name extends string, C extends Readonly<Record<string, AnyColumn>>>(
  name: Name,
  definition: string,
  options: { columns: C; comment?: string },
): ViewDefinition<C, Name> {
  return { kind: 'view', name, definition, columns: options.columns, comment: options.comment ?? null };
}
