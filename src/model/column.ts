import type { SqlValue } from './sql-types.js';

/** How a column takes part in an INSERT: it must be given, may be left to its default, or is never written. */
export type Write = 'required' | 'optional' | 'never';

/** A column as plain data: the definition's runtime form, and what introspection reads back. */
export interface ColumnSpec {
  /** SQL type as PostgreSQL renders it (`format_type`), e.g. `bigint`, `text[]`, `numeric(12,2)`, an enum's name. */
  readonly type: string;
  readonly nullable: boolean;
  /** DEFAULT expression (SQL text), or null. */
  readonly default: string | null;
  /** Expression of a STORED generated column, or null. */
  readonly generated: string | null;
  readonly identity: 'always' | 'by default' | null;
  /** Whether output DTOs show it (false: internal, never in an output by default). */
  readonly expose: boolean;
  readonly comment: string | null;
}

/**
 * A column of `defineTable`: its SQL type, and at the type level the value node-postgres returns
 * (`T`), whether it may be NULL (`N`) and how an INSERT treats it (`W`). Columns are NOT NULL and
 * exposed unless said otherwise.
 *
 * @example
 * column('bigint').default('0')            // stock: bigint, optional on insert
 * column('text').nullable().internal()      // supplier notes: string | null, never in an output DTO
 */
export class Column<T = unknown, N extends boolean = false, W extends Write = 'required'> {
  declare readonly __value: T;
  declare readonly __nullable: N;
  declare readonly __write: W;

  /**
   * @param spec the column as plain data
   * @param values an enum column's values (for its zod schema)
   * @param valueType the SQL type its values have (a domain's base type; else `spec.type`)
   */
  constructor(
    readonly spec: ColumnSpec,
    readonly values: readonly string[] | null = null,
    readonly valueType: string = spec.type,
  ) {}

  private with<T2, N2 extends boolean, W2 extends Write>(change: Partial<ColumnSpec>): Column<T2, N2, W2> {
    return new Column<T2, N2, W2>({ ...this.spec, ...change }, this.values, this.valueType);
  }

  /** The column accepts NULL. */
  nullable(): Column<T, true, W> {
    return this.with<T, true, W>({ nullable: true });
  }

  /** A DEFAULT, as SQL text (`'0'`, `"'{}'"`, `'clock_timestamp()'`). */
  default(expression: string): Column<T, N, W extends 'never' ? 'never' : 'optional'> {
    return this.with<T, N, W extends 'never' ? 'never' : 'optional'>({ default: expression });
  }

  /** A STORED generated column computed from `expression`; never written. */
  generatedAs(expression: string): Column<T, N, 'never'> {
    return this.with<T, N, 'never'>({ generated: expression });
  }

  /** An identity column (`GENERATED ALWAYS` is never written; `BY DEFAULT` may be). */
  identity<K extends 'always' | 'by default' = 'by default'>(kind?: K): Column<T, N, K extends 'always' ? 'never' : 'optional'> {
    return this.with<T, N, K extends 'always' ? 'never' : 'optional'>({ identity: kind ?? 'by default' });
  }

  /** Internal: never part of an output DTO unless asked for by name. */
  internal(): Column<T, N, W> {
    return this.with<T, N, W>({ expose: false });
  }

  comment(text: string): Column<T, N, W> {
    return this.with<T, N, W>({ comment: text });
  }

  /** Overrides the value type (a JSON column's shape, a custom type with its own parser). */
  as<T2>(): Column<T2, N, W> {
    return this.with<T2, N, W>({});
  }
}

/** A type a column can be declared with: an enum or domain of the model. */
export interface NamedType<T = unknown> {
  readonly kind: 'enum' | 'domain';
  readonly name: string;
  /** An enum's values. */
  readonly values?: readonly string[];
  /** A domain's base type. */
  readonly spec?: { readonly type: string };
  readonly __value?: T;
}

const fresh = (type: string): ColumnSpec => ({ type, nullable: false, default: null, generated: null, identity: null, expose: true, comment: null });

/**
 * Declares a column by its SQL type as PostgreSQL renders it, or by an enum or domain of the model.
 *
 * @example
 * column('uuid'); column('timestamp with time zone').default('clock_timestamp()'); column(status)
 */
export function column<S extends string>(type: S): Column<SqlValue<S>>;
export function column<T>(type: NamedType<T>): Column<T>;
export function column(type: string | NamedType): Column {
  if (typeof type === 'string') return new Column(fresh(type));
  return new Column(fresh(sqlName(type.name)), type.values ?? null, type.spec?.type ?? sqlName(type.name));
}

/** A type's name as `format_type` renders it: double-quoted unless a plain lower-case identifier. */
export function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.split('"').join('""')}"`;
}
