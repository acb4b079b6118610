import type { ColumnType, Generated } from 'kysely';
import type { Column, Write } from './column.js';
import type { AnyColumn, Definition, TableDefinition, ViewDefinition } from './define.js';

type Value<C> = C extends Column<infer T, infer N, Write> ? (N extends true ? T | null : T) : never;

/** A column as Kysely sees it: defaulted columns are `Generated`, generated ones never written. */
export type ColumnKysely<C> =
  C extends Column<unknown, boolean, infer W>
    ? W extends 'never'
      ? ColumnType<Value<C>, never, never>
      : W extends 'optional'
        ? Generated<Value<C>>
        : Value<C>
    : never;

/** Soft-delete bookkeeping, on `<t>_all` and `<t>_deleted` only; written by strata's trigger. */
export interface SoftDeleteColumns {
  deleted_at: ColumnType<Date | null, never, never>;
  deleted_by: ColumnType<string | null, never, never>;
  deleted_batch: ColumnType<string | null, never, never>;
}

/** A row of `<t>_history` (see strata/history). */
export interface HistoryTable<Key> {
  row_id: ColumnType<Key, never, never>;
  version: ColumnType<number, never, never>;
  operation: ColumnType<string, never, never>;
  valid_from: ColumnType<Date, never, never>;
  actor: ColumnType<string, never, never>;
  request_id: ColumnType<string | null, never, never>;
  txid: ColumnType<bigint, never, never>;
  data: ColumnType<unknown, never, never>;
}

type Columns<C extends Readonly<Record<string, AnyColumn>>> = { -readonly [K in keyof C]: ColumnKysely<C[K]> };

/**
 * The Kysely table type of a definition; a versioned table also has the database-owned `version`.
 *
 * @example
 * type ProductsTable = TableType<typeof products>;
 */
export type TableType<D> =
  D extends TableDefinition<infer C, string, boolean, infer H>
    ? Columns<C> & (H extends true ? { version: ColumnType<number, never, number> } : unknown)
    : D extends ViewDefinition<infer C>
      ? { -readonly [K in keyof C]: ColumnType<Value<C[K]>, never, never> }
      : never;

type Entries<D> =
  D extends TableDefinition<Readonly<Record<string, AnyColumn>>, infer N, infer SD, infer H>
    ? { [K in N]: TableType<D> } & (SD extends true ? { [K in `${N}_all` | `${N}_deleted`]: TableType<D> & SoftDeleteColumns } : unknown) &
        (H extends true ? { [K in `${N}_history`]: HistoryTable<unknown> } : unknown)
    : D extends ViewDefinition<Readonly<Record<string, AnyColumn>>, infer N>
      ? { [K in N]: TableType<D> }
      : never;

type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The Kysely database interface of a list of definitions: each table (its live view under soft
 * deletes, plus `<t>_all` and `<t>_deleted`), each history table and each view.
 *
 * @example
 * const model = [status, products] as const;
 * const db = new Kysely<ModelDatabase<typeof model>>({ dialect });
 */
export type ModelDatabase<Defs extends readonly Definition[]> = { [K in keyof Intersection<Entries<Defs[number]>>]: Intersection<Entries<Defs[number]>>[K] };
