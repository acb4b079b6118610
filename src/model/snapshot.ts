import type { ColumnSpec } from './column.js';
import type { Definition, DomainSpec, TableSpec } from './define.js';

export interface EnumSpec {
  readonly name: string;
  readonly values: readonly string[];
  readonly comment: string | null;
}

export interface ViewSpec {
  readonly name: string;
  readonly definition: string;
  readonly columns: Readonly<Record<string, ColumnSpec>>;
  readonly comment: string | null;
}

/** A whole model as plain data (definitions, or what introspection read from a schema). */
export interface ModelSnapshot {
  readonly enums: readonly EnumSpec[];
  readonly domains: readonly DomainSpec[];
  readonly tables: readonly TableSpec[];
  readonly views: readonly ViewSpec[];
}

/**
 * The plain data of a list of definitions, each kind in the order given.
 *
 * @example
 * const snapshot = snapshotOf([status, products, orders]);
 */
export function snapshotOf(definitions: readonly Definition[]): ModelSnapshot {
  const enums: EnumSpec[] = [];
  const domains: DomainSpec[] = [];
  const tables: TableSpec[] = [];
  const views: ViewSpec[] = [];
  for (const d of definitions) {
    if (d.kind === 'enum') enums.push({ name: d.name, values: d.values, comment: d.comment });
    else if (d.kind === 'domain') domains.push(d.spec);
    else if (d.kind === 'table') tables.push(d.spec);
    else
      views.push({
        name: d.name,
        definition: d.definition,
        columns: Object.fromEntries(Object.entries(d.columns).map(([n, c]) => [n, c.spec])),
        comment: d.comment,
      });
  }
  return { enums, domains, tables, views };
}
