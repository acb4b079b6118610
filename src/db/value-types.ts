import pg from 'pg';

/** What a PostgreSQL value becomes in JavaScript under strata's pools. */
export type ValueKind = 'string' | 'number' | 'bigint' | 'boolean' | 'Date' | 'Json' | 'Buffer' | 'unknown';

interface ValueType {
  /** The type as `format_type` renders it (a pattern for the ones with a modifier). */
  readonly name: string | RegExp;
  readonly oid: number;
  readonly arrayOid: number;
  readonly kind: ValueKind;
  /** strata's own text parser, replacing node-postgres's; absent: node-postgres's. */
  readonly parse?: (text: string) => unknown;
}

const deepBigInt = (value: unknown): unknown => (Array.isArray(value) ? value.map(deepBigInt) : value === null ? null : BigInt(value as string));

/**
 * The one mapping from PostgreSQL types to JavaScript values: the PostgreSQL pool's type parsers
 * are built from it (`bigint` and `bigint[]` as JavaScript bigints, never lossy numbers), and
 * strata/model's code generator and zod schemas read the kinds from it. Types not listed are text
 * to node-postgres (strings).
 */
export const POSTGRES_VALUE_TYPES: readonly ValueType[] = [
  { name: 'bigint', oid: 20, arrayOid: 1016, kind: 'bigint', parse: (text) => BigInt(text) },
  { name: 'integer', oid: 23, arrayOid: 1007, kind: 'number' },
  { name: 'smallint', oid: 21, arrayOid: 1005, kind: 'number' },
  { name: 'real', oid: 700, arrayOid: 1021, kind: 'number' },
  { name: 'double precision', oid: 701, arrayOid: 1022, kind: 'number' },
  { name: /^numeric(\(.*\))?$/, oid: 1700, arrayOid: 1231, kind: 'string' },
  { name: 'boolean', oid: 16, arrayOid: 1000, kind: 'boolean' },
  { name: 'date', oid: 1082, arrayOid: 1182, kind: 'Date' },
  { name: /^timestamp(\(\d+\))? without time zone$/, oid: 1114, arrayOid: 1115, kind: 'Date' },
  { name: /^timestamp(\(\d+\))? with time zone$/, oid: 1184, arrayOid: 1185, kind: 'Date' },
  { name: 'json', oid: 114, arrayOid: 199, kind: 'Json' },
  { name: 'jsonb', oid: 3802, arrayOid: 3807, kind: 'Json' },
  { name: 'bytea', oid: 17, arrayOid: 1001, kind: 'Buffer' },
  { name: 'interval', oid: 1186, arrayOid: 1187, kind: 'unknown' },
];

const PARSERS = new Map<number, (text: string) => unknown>();
for (const t of POSTGRES_VALUE_TYPES) {
  const parse = t.parse;
  if (!parse) continue;
  PARSERS.set(t.oid, parse);
  const array = pg.types.getTypeParser(t.arrayOid, 'text') as (text: string) => unknown;
  PARSERS.set(t.arrayOid, (text) => (t.kind === 'bigint' ? deepBigInt(array(text)) : array(text)));
}

/** node-postgres's `types.getTypeParser`, with strata's parsers from POSTGRES_VALUE_TYPES. */
export const postgresTypeParser = ((oid: number, format?: 'text' | 'binary') =>
  (format !== 'binary' ? PARSERS.get(oid) : undefined) ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

/** The JavaScript kind of a scalar PostgreSQL type, by its `format_type` name (`string` when not listed). */
export function valueKindOf(type: string): ValueKind {
  for (const t of POSTGRES_VALUE_TYPES) if (typeof t.name === 'string' ? t.name === type : t.name.test(type)) return t.kind;
  return 'string';
}
