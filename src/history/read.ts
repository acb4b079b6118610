import { type Kysely, sql } from 'kysely';
import { StrataError } from '../db/index.js';
import { rel, resolveRelations } from './relations.js';
import { renamesOf, underCurrentNames } from './renames.js';

export type Operation = 'snapshot' | 'insert' | 'update' | 'delete' | 'restore' | 'purge';

/** One version of a row. `validTo` is when the next version began (undefined: still current). */
export interface Version {
  readonly version: number;
  readonly operation: Operation;
  readonly validFrom: Date;
  readonly validTo?: Date;
  readonly actor: string;
  readonly requestId?: string;
  readonly txid: bigint;
  /** The full row image after this change (null for a purge). Keys are column names at that time. */
  readonly data: Readonly<Record<string, unknown>> | null;
}

export interface VersionPage {
  readonly versions: readonly Version[];
  /** Pass as `afterVersion` for the next page; undefined on the last page. */
  readonly nextAfter?: number;
}

interface VersionRow {
  version: number;
  operation: Operation;
  valid_from: Date;
  valid_to: Date | null;
  actor: string;
  request_id: string | null;
  txid: bigint;
  data: Record<string, unknown> | null;
}

type Renames = Awaited<ReturnType<typeof renamesOf>>;

function toVersion(row: VersionRow, renames: Renames): Version {
  return {
    version: row.version,
    operation: row.operation,
    validFrom: row.valid_from,
    ...(row.valid_to ? { validTo: row.valid_to } : {}),
    actor: row.actor,
    ...(row.request_id ? { requestId: row.request_id } : {}),
    txid: row.txid,
    data: row.data && underCurrentNames(row.data, row.valid_from, renames),
  };
}

async function history<DB>(db: Kysely<DB>, table: string, schema?: string) {
  const r = await resolveRelations(db, table, schema);
  return { h: sql.raw(rel(r, r.history)), renames: await renamesOf(db, r.schema, r.table) };
}

const selectVersions = sql.raw(`version, operation, valid_from, lead(valid_from) OVER (ORDER BY version) AS valid_to, actor, request_id, txid, data`);

/**
 * The versions of one row, oldest first, a page at a time (deleted and purged rows included).
 *
 * @example
 * const { versions, nextAfter } = await listVersions(db, 'products', id, { limit: 50 });
 */
export async function listVersions<DB>(
  db: Kysely<DB>,
  table: string,
  id: string,
  options: { limit?: number; afterVersion?: number; schema?: string } = {},
): Promise<VersionPage> {
  const { h, renames } = await history(db, table, options.schema);
  const limit = options.limit ?? 50;
  const { rows } = await sql<VersionRow>`
    SELECT * FROM (SELECT ${selectVersions} FROM ${h} WHERE row_id = ${id}) v
     WHERE version > ${options.afterVersion ?? 0} ORDER BY version LIMIT ${limit + 1}`.execute(db);
  const page = rows.slice(0, limit).map((row) => toVersion(row, renames));
  const last = page.at(-1);
  return { versions: page, ...(rows.length > limit && last ? { nextAfter: last.version } : {}) };
}

/**
 * The row as it was at an instant, or at a version number; undefined when it did not exist then.
 * A version whose operation is `delete` or `purge` means the row was deleted at that time.
 * Instants have millisecond resolution (as JavaScript dates and JSON timestamps do): the answer is
 * the last version that began in or before that millisecond.
 *
 * @example
 * const then = await versionAt(db, 'products', id, new Date('2026-01-01T00:00:00Z'));
 */
export async function versionAt<DB>(db: Kysely<DB>, table: string, id: string, at: Date | number, schema?: string): Promise<Version | undefined> {
  const { h, renames } = await history(db, table, schema);
  const { rows } = await sql<VersionRow>`
    SELECT * FROM (SELECT ${selectVersions} FROM ${h} WHERE row_id = ${id}) v
     WHERE ${typeof at === 'number' ? sql`version = ${at}` : sql`date_trunc('milliseconds', valid_from) <= ${at}`}
     ORDER BY version DESC LIMIT 1`.execute(db);
  return rows[0] ? toVersion(rows[0], renames) : undefined;
}

export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

const BOOKKEEPING = new Set(['version', 'updated_at', 'deleted_batch']);

/**
 * Field-level differences between two versions of a row (bookkeeping columns left out).
 *
 * @example
 * await diffVersions(db, 'products', id, 1, 3) // [{ field: 'price', from: 1999, to: 2499 }]
 */
export async function diffVersions<DB>(db: Kysely<DB>, table: string, id: string, from: number, to: number, schema?: string): Promise<FieldChange[]> {
  const [a, b] = await Promise.all([versionAt(db, table, id, from, schema), versionAt(db, table, id, to, schema)]);
  if (!a || !b) throw new StrataError('NOT_FOUND', `version ${a ? to : from} of ${table} ${id} does not exist`);
  const left = a.data ?? {};
  const right = b.data ?? {};
  const fields = [...new Set([...Object.keys(left), ...Object.keys(right)])].filter((f) => !BOOKKEEPING.has(f)).sort();
  return fields.filter((f) => JSON.stringify(left[f]) !== JSON.stringify(right[f])).map((f) => ({ field: f, from: left[f] ?? null, to: right[f] ?? null }));
}
