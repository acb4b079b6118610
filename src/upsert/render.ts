import { type RawBuilder, sql } from 'kysely';
import { quoteIdent as q } from '../db/index.js';
import { liveOn } from '../softdelete/index.js';
import type { Row } from './rows.js';
import type { UpsertTarget } from './target.js';

/** How a column of an existing row is updated: take the incoming value, or compute from both. */
export type UpdateValue =
  | 'incoming'
  | ((ref: { current: (column: string) => RawBuilder<unknown>; incoming: (column: string) => RawBuilder<unknown> }) => RawBuilder<unknown>);

/** Columns to overwrite with incoming values, or per-column rules (e.g. `{ n: ({ current }) => sql`${current('n')} + 1` }`). */
export type UpdateSpec = readonly string[] | Readonly<Record<string, UpdateValue>>;

export const ref = (alias: string) => (column: string) => sql.raw(`${alias}.${q(column)}`) as RawBuilder<unknown>;

export function table(target: UpsertTarget): RawBuilder<unknown> {
  return sql.raw(`${q(target.schema)}.${q(target.table)}`);
}

export function columnList(names: readonly string[]): RawBuilder<unknown> {
  return sql.raw(names.map((n) => q(n)).join(', '));
}

function typed(target: UpsertTarget, column: string, value: unknown): RawBuilder<unknown> {
  const type = target.columns.get(column)?.type ?? 'text';
  return sql`CAST(${value} AS ${sql.raw(type)})`;
}

/** `(CAST($1 AS type), ...), (...)`: typed, so MERGE and UPDATE ... FROM compare like with like. */
export function valuesList(target: UpsertTarget, names: readonly string[], rows: readonly Row[]): RawBuilder<unknown> {
  return sql.join(rows.map((row) => sql`(${sql.join(names.map((n) => typed(target, n, row[n])))})`));
}

/**
 * Normalised rules: by default every column but the conflict key and the primary key takes the
 * incoming value (an existing row keeps its identity); `spec` names columns explicitly.
 */
export function rules(spec: UpdateSpec | undefined, names: readonly string[], keep: readonly string[]): [string, UpdateValue][] {
  if (spec === undefined) return names.filter((n) => !keep.includes(n)).map((n) => [n, 'incoming']);
  if (Array.isArray(spec)) return (spec as readonly string[]).map((n) => [n, 'incoming']);
  return Object.entries(spec as Readonly<Record<string, UpdateValue>>);
}

export function assignments(list: readonly [string, UpdateValue][], current: string, incoming: string): RawBuilder<unknown> {
  return sql.join(
    list.map(
      ([column, rule]) =>
        sql`${sql.raw(q(column))} = ${rule === 'incoming' ? ref(incoming)(column) : rule({ current: ref(current), incoming: ref(incoming) })}`,
    ),
  );
}

/** Skip updates that would change nothing (only when every rule copies the incoming value). */
export function changedGuard(list: readonly [string, UpdateValue][], current: string, incoming: string): RawBuilder<unknown> {
  if (list.length === 0) return sql`false`;
  if (list.some(([, rule]) => rule !== 'incoming')) return sql`true`;
  const cols = list.map(([c]) => c);
  return sql`ROW(${sql.join(cols.map(ref(current)))}) IS DISTINCT FROM ROW(${sql.join(cols.map(ref(incoming)))})`;
}

/** `t.k1 = s.k1 AND ...` plus the live-rows predicate under soft deletes. */
export function keyMatch(target: UpsertTarget, current: string, incoming: string): RawBuilder<unknown> {
  const parts = target.key.map((k) => sql`${ref(current)(k)} = ${ref(incoming)(k)}`);
  if (target.predicate) parts.push(sql.raw(liveOn(current)));
  return sql.join(parts, sql` AND `);
}
