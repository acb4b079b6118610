import { type Database, introspect, quoteIdent as q, StrataError, translatePostgresError, type WriteContext } from '../db/index.js';
import { baseTableOf } from '../softdelete/index.js';
import { generatedKeyOf } from './generated-key.js';
import type { LineMap } from './line-map.js';
import type { SourceRecord } from './sources.js';

/** What a load writes where: resolved once, from the table's catalog and the input's columns. */
export interface Plan {
  /** The table rows go to, quoted (`"public"."goods"`; under soft deletes `"public"."goods_all"`). */
  readonly base: string;
  /** The same table's schema and name, unquoted. */
  readonly target: { readonly schema: string; readonly table: string };
  /** Columns COPY writes: the input's, then the generated key when there is one. */
  readonly columns: readonly string[];
  /** The primary key column the load fills with a new UUIDv7 per row (see `generatedKeyOf`). */
  readonly generated?: string;
  readonly upsert?: { readonly key: readonly string[]; readonly update: readonly string[]; readonly predicate?: string };
  readonly loadId?: string;
  readonly table: string;
  /** Actor and request id every chunk's transaction records (history, soft deletes). */
  readonly writeContext?: WriteContext;
}

export interface PlanOptions {
  readonly columns?: readonly string[] | undefined;
  readonly loadId?: string | undefined;
  readonly schema?: string | undefined;
  readonly writeContext?: WriteContext | undefined;
}

export async function planLoad(
  database: Database,
  table: string,
  first: SourceRecord,
  options: PlanOptions,
  key?: readonly string[],
  update?: readonly string[],
): Promise<Plan> {
  const { schema, table: base } = await baseTableOf(database.db, table, options.schema);
  const known = new Set((await introspect(database.db).columns(schema, base)).map((c) => c.name));
  const columns = options.columns ?? Object.keys(first.values);
  for (const c of columns) if (!known.has(c)) throw new StrataError('BULK_SOURCE_INVALID', `line ${first.line}: ${table} has no column "${c}"`);
  if (columns.length === 0) throw new StrataError('BULK_SOURCE_INVALID', `line ${first.line}: no columns to load`);
  let upsert: Plan['upsert'];
  if (key) {
    for (const k of key) if (!columns.includes(k)) throw new StrataError('BULK_SOURCE_INVALID', `the input has no key column "${k}"`);
    // Imported for upserts alone: strata/upsert brings its HTTP idempotency wrapper (and zod) with it.
    const { resolveUpsertTarget } = await import('../upsert/index.js');
    const target = await resolveUpsertTarget(database.db, table, key, options.schema);
    const updated = update ?? columns.filter((c) => !key.includes(c) && !target.primaryKey.includes(c));
    for (const c of updated) if (!columns.includes(c)) throw new StrataError('BULK_SOURCE_INVALID', `cannot update "${c}": the input has no such column`);
    upsert = { key, update: updated, ...(target.predicate ? { predicate: target.predicate } : {}) };
  }
  const generated = await generatedKeyOf(database.db, schema, base, columns);
  return {
    base: `${q(schema)}.${q(base)}`,
    target: { schema, table: base },
    columns: generated ? [...columns, generated] : columns,
    table,
    ...(generated ? { generated } : {}),
    ...(upsert ? { upsert } : {}),
    ...(options.loadId ? { loadId: options.loadId } : {}),
    ...(options.writeContext ? { writeContext: options.writeContext } : {}),
  };
}

const STAGE = [
  'CREATE TEMP TABLE IF NOT EXISTS strata_bulk_stage (LIKE %BASE% INCLUDING DEFAULTS) ON COMMIT DROP',
  'ALTER TABLE strata_bulk_stage ADD COLUMN IF NOT EXISTS strata_line bigint GENERATED ALWAYS AS IDENTITY',
];

/** A statement with its parameters, as node-postgres takes it. */
export interface SetupStatement {
  readonly text: string;
  readonly values: string[];
}

/**
 * Statements a chunk's transaction runs before its COPY: no statement timeout (a COPY lasts as long
 * as its source takes to deliver the chunk; the pool's timeout is for ordinary queries, and `SET
 * LOCAL` ends with the transaction), the write context (actor and request id, transaction-local
 * like `setWriteContext`), and an upsert's staging table.
 */
export const chunkSetup = (plan: Plan): (string | SetupStatement)[] => [
  NO_STATEMENT_TIMEOUT,
  ...(plan.writeContext
    ? [
        {
          text: "SELECT set_config('strata.actor', $1, true), set_config('strata.request_id', $2, true)",
          values: [plan.writeContext.actor ?? '', plan.writeContext.requestId ?? ''],
        },
      ]
    : []),
  ...(plan.upsert ? STAGE.map((t) => t.replace('%BASE%', plan.base)) : []),
];

export const NO_STATEMENT_TIMEOUT = 'SET LOCAL statement_timeout = 0';

/**
 * SQLSTATE classes that are a row's fault: data exceptions (22: a bad number, date, encoding),
 * integrity constraints (23: NOT NULL, CHECK, unique, foreign key), triggered data change
 * violations (27), WITH CHECK OPTION (44), a trigger's own RAISE (P0) and strata's own triggers'
 * refusals (class S, e.g. SH001: a versioned row's key change). Anything else (a missing
 * privilege or object (42), a read-only or aborted transaction (25), a lock, timeout, lost
 * connection, resource or internal error) would fail every row alike: it stops the load instead
 * of setting rows aside. A row-level security refusal is 42501 too, so it stops the load.
 */
const ROW_CLASSES = /^(22|23|27|44|P0|S[A-Z])/;

/** SQLSTATE classes that are never about a statement: connection, rollback, resources, locks, operator intervention, system. */
const NOT_THE_STATEMENT = /^(08|40|53|55|57|58|XX)/;

/** The SQLSTATE of an error the server reported; a socket's error (EPIPE, ECONNRESET) has no severity, so none. */
function serverState(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('severity' in err)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether a database error is about a row's data (a type, a constraint, a trigger refusing it). */
export const rowCaused = (err: unknown): boolean => ROW_CLASSES.test(serverState(err) ?? '');

/** Whether the server refused a statement itself (its SQL, its names, its data), not for a connection, lock, timeout or resource. */
export const statementCaused = (err: unknown): boolean => {
  const state = serverState(err);
  return state !== undefined && !NOT_THE_STATEMENT.test(state);
};

/** COPY into the table (insert) or the staging table (upsert); `csv` for files passed through as they are. */
export const copyStatement = (plan: Plan, csv = false): string =>
  `COPY ${plan.upsert ? 'strata_bulk_stage' : plan.base} (${plan.columns.map((c) => q(c)).join(', ')}) FROM STDIN${csv ? ' WITH (FORMAT csv)' : ''}`;

/**
 * The server's complaint about a chunk, pointed at the input line (and column) it names: COPY names
 * its row; a merge's failure is traced to `rows`, the first and last (0-based) chunk rows it involves.
 */
export function badRow(err: unknown, lines: LineMap, rows?: readonly [number, number]): StrataError {
  if (err instanceof StrataError) return err;
  const translated = translatePostgresError(err);
  // A timeout, a lost connection, a lock: not the row's fault, and not reported as a bad row.
  if (!rowCaused(err)) return translated;
  const where = String((err as { where?: string }).where ?? '');
  // The COPY context ("COPY goods, line 3, column price: …"), not a trigger's "PL/pgSQL function f() line 12".
  const copyAt = /COPY [^\n]*?, line (\d+)(?:, column (\w+))?/.exec(where);
  const copyLineNo = Number(copyAt?.[1] ?? 0);
  const column = copyAt?.[2];
  const [first, last] = rows ?? (copyLineNo > 0 ? [copyLineNo - 1, copyLineNo - 1] : [0, lines.size - 1]);
  const from = lines.lineOf(first);
  const to = lines.lineOf(last);
  const at = from === undefined || to === undefined ? `lines ${lines.first ?? '?'}-${lines.last ?? '?'}` : from === to ? `line ${from}` : `lines ${from}-${to}`;
  const position =
    from !== undefined && to !== undefined
      ? from === to
        ? { line: from }
        : { lines: [from, to] as const }
      : lines.first !== undefined && lines.last !== undefined
        ? { lines: [lines.first, lines.last] as const }
        : {};
  return new StrataError(
    'BULK_BAD_ROW',
    `${at}${column ? `, column ${column}` : ''}: ${translated.message}`,
    { ...translated.details, ...position, ...(column ? { columns: [column] } : {}) },
    { cause: err },
  );
}

/** Any other failure of a load (the source, the connection) as a StrataError. */
export function failure(err: unknown): StrataError {
  return err instanceof StrataError
    ? err
    : err instanceof Error && ('severity' in err || 'syscall' in err)
      ? translatePostgresError(err)
      : new StrataError('BULK_SOURCE_INVALID', `the source failed: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
}
