import { type ErrorPhase, errorForSqlState, StrataError, type StrataErrorCode } from './errors.js';

/** The fields of a node-postgres DatabaseError that strata reads. */
export interface PgErrorFields {
  readonly message?: string;
  readonly code?: string;
  readonly detail?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
}

const BY_SQLSTATE: Readonly<Record<string, StrataErrorCode>> = {
  '23505': 'UNIQUE_VIOLATION',
  '23503': 'FOREIGN_KEY_VIOLATION',
  '23514': 'CHECK_VIOLATION',
  '23502': 'NOT_NULL_VIOLATION',
  '40001': 'SERIALIZATION_FAILURE',
  '40P01': 'DEADLOCK',
  '55P03': 'LOCK_TIMEOUT',
  '57014': 'STATEMENT_TIMEOUT',
  '57P01': 'CONNECTION_LOST',
  '57P02': 'CONNECTION_LOST',
  '57P03': 'CONNECTION_FAILED',
  '53300': 'TOO_MANY_CONNECTIONS',
  '3D000': 'CONNECTION_FAILED',
  '28000': 'CONNECTION_FAILED',
  '28P01': 'CONNECTION_FAILED',
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);
const LOST_MESSAGES = [/connection terminated/i, /not queryable/i, /connection .*closed/i];

function codeFor(fields: PgErrorFields, phase: ErrorPhase): StrataErrorCode {
  const sqlState = fields.code ?? '';
  // A capability's own SQLSTATE (raised by its triggers), as it registered it.
  const known = BY_SQLSTATE[sqlState] ?? errorForSqlState(sqlState)?.code;
  if (known) return known;
  // insufficient_privilege is a deployment fault (500), except a row an owned table's policy refused.
  if (sqlState === '42501' && /row-level security/i.test(fields.message ?? '')) return 'ROW_SECURITY_REFUSED';
  if (sqlState.startsWith('08') || NETWORK_CODES.has(sqlState) || /timeout exceeded when trying to connect/i.test(fields.message ?? '')) {
    return phase === 'connect' ? 'CONNECTION_FAILED' : 'CONNECTION_LOST';
  }
  if (sqlState.startsWith('22')) return 'INVALID_DATA';
  if (sqlState === '' && LOST_MESSAGES.some((re) => re.test(fields.message ?? ''))) return 'CONNECTION_LOST';
  return 'DATABASE_ERROR';
}

/** Column names from a detail such as `Key (sku, currency)=(A, EUR) already exists.` */
export function columnsFromDetail(detail: string | undefined): string[] | undefined {
  const match = detail ? /^Key \((.+?)\)=\(/.exec(detail) : null;
  if (!match?.[1]) return undefined;
  return match[1].split(', ').map((c) => c.replace(/^"(.*)"$/, '$1'));
}

function messageFor(code: StrataErrorCode, f: PgErrorFields): string {
  const where = f.table ? ` on ${f.table}` : '';
  const name = f.constraint ? ` (${f.constraint})` : '';
  switch (code) {
    case 'UNIQUE_VIOLATION':
      return `unique constraint violated${where}${name}`;
    case 'FOREIGN_KEY_VIOLATION':
      return `foreign key constraint violated${where}${name}`;
    case 'CHECK_VIOLATION':
      return `check constraint violated${where}${name}`;
    case 'NOT_NULL_VIOLATION':
      return `column ${f.column ?? '?'}${where} must not be null`;
    default:
      return f.message ?? code.toLowerCase();
  }
}

/**
 * Turns a node-postgres error into a StrataError (pure: no I/O). Messages never include row values.
 *
 * @example
 * translatePostgresError({ code: '23505', table: 't', constraint: 't_sku_key', detail: 'Key (sku)=(a) already exists.' })
 *   // StrataError UNIQUE_VIOLATION, details.columns = ['sku']
 */
export function translatePostgresError(err: unknown, phase: ErrorPhase = 'query'): StrataError {
  if (err instanceof StrataError) return err;
  const f: PgErrorFields = typeof err === 'object' && err !== null ? (err as PgErrorFields) : { message: String(err) };
  const code = codeFor(f, phase);
  const columns = f.column ? [f.column] : columnsFromDetail(f.detail);
  return new StrataError(
    code,
    messageFor(code, f),
    {
      ...(f.code ? { sqlState: f.code } : {}),
      ...(f.schema ? { schema: f.schema } : {}),
      ...(f.table ? { table: f.table } : {}),
      ...(f.constraint ? { constraint: f.constraint } : {}),
      ...(columns ? { columns } : {}),
    },
    { cause: err },
  );
}
