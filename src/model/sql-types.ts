import { type ValueKind, valueKindOf } from '../db/index.js';

/**
 * What node-postgres returns for a column of each SQL type (as PostgreSQL renders it with
 * `format_type`) under strata's pools. The run-time kinds come from strata/db's
 * POSTGRES_VALUE_TYPES, the same table the pool's type parsers are built from; `SqlValue` below is
 * its type-level twin (test/model/codegen.test.ts checks generated types against real rows).
 */
export type TsKind = ValueKind;

/**
 * The value kind of a column, arrays included. An array of an enum or a domain (a type node-postgres
 * has no parser for) comes back as the array literal, a string.
 *
 * @example
 * valueKind('bigint[]') // { kind: 'bigint', array: true }
 */
export function valueKind(type: string, custom: ReadonlySet<string> = new Set()): { kind: TsKind; array: boolean } {
  if (!type.endsWith('[]')) return { kind: custom.has(type) ? 'string' : valueKindOf(type), array: false };
  const element = type.slice(0, -2);
  if (custom.has(element)) return { kind: 'string', array: false };
  return { kind: valueKindOf(element), array: true };
}

/** A JSON value as node-postgres parses `json` and `jsonb`. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

type Scalar<S extends string> = S extends 'bigint'
  ? bigint
  : S extends 'integer' | 'smallint' | 'real' | 'double precision'
    ? number
    : S extends 'boolean'
      ? boolean
      : S extends 'date' | 'timestamp with time zone' | 'timestamp without time zone' | `timestamp(${string}) with${string}`
        ? Date
        : S extends 'json' | 'jsonb'
          ? Json
          : S extends 'bytea'
            ? Buffer
            : S extends 'interval'
              ? unknown
              : string;

/** The TypeScript type node-postgres returns for a SQL type, e.g. `SqlValue<'bigint'>` is `bigint`. */
export type SqlValue<S extends string> = S extends `${infer E}[]` ? Scalar<E>[] : Scalar<S>;
