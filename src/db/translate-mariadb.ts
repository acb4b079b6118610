import { type ErrorPhase, StrataError, type StrataErrorCode } from './errors.js';

/** The fields of a mysql2 error that strata reads. */
export interface MariaDbErrorFields {
  readonly message?: string;
  readonly code?: string;
  readonly errno?: number;
  readonly sqlState?: string;
  readonly sqlMessage?: string;
}

const BY_ERRNO: Readonly<Record<number, StrataErrorCode>> = {
  1062: 'UNIQUE_VIOLATION',
  1451: 'FOREIGN_KEY_VIOLATION',
  1452: 'FOREIGN_KEY_VIOLATION',
  4025: 'CHECK_VIOLATION',
  3819: 'CHECK_VIOLATION',
  1048: 'NOT_NULL_VIOLATION',
  1364: 'NOT_NULL_VIOLATION',
  1213: 'DEADLOCK',
  1205: 'LOCK_TIMEOUT',
  3024: 'STATEMENT_TIMEOUT',
  1969: 'STATEMENT_TIMEOUT',
  1927: 'CONNECTION_LOST',
  1053: 'CONNECTION_LOST',
  1045: 'CONNECTION_FAILED',
  1049: 'CONNECTION_FAILED',
  1040: 'TOO_MANY_CONNECTIONS',
  1203: 'TOO_MANY_CONNECTIONS',
  1264: 'INVALID_DATA',
  1366: 'INVALID_DATA',
  1406: 'INVALID_DATA',
};

const LOST = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_CONNECTION_KILLED']);
const FAILED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH']);

function codeFor(f: MariaDbErrorFields, phase: ErrorPhase): StrataErrorCode {
  const known = f.errno !== undefined ? BY_ERRNO[f.errno] : undefined;
  if (known) return known;
  if (f.code && (LOST.has(f.code) || FAILED.has(f.code))) {
    return phase === 'connect' || FAILED.has(f.code) ? 'CONNECTION_FAILED' : 'CONNECTION_LOST';
  }
  return 'DATABASE_ERROR';
}

function pick(re: RegExp, text: string): string | undefined {
  return re.exec(text)?.[1];
}

function detailsFor(code: StrataErrorCode, text: string): { constraint?: string; columns?: string[]; table?: string } {
  switch (code) {
    case 'UNIQUE_VIOLATION': {
      const key = pick(/for key '([^']+)'/, text);
      return key ? { constraint: key.split('.').pop() ?? key } : {};
    }
    case 'FOREIGN_KEY_VIOLATION': {
      const constraint = pick(/CONSTRAINT `([^`]+)`/, text);
      const cols = pick(/FOREIGN KEY \(([^)]+)\)/, text);
      const table = pick(/fails \(`[^`]+`\.`([^`]+)`/, text);
      return {
        ...(constraint ? { constraint } : {}),
        ...(table ? { table } : {}),
        ...(cols ? { columns: cols.split(',').map((c) => c.trim().replace(/`/g, '')) } : {}),
      };
    }
    case 'CHECK_VIOLATION': {
      const constraint = pick(/CONSTRAINT `([^`]+)`/, text) ?? pick(/Check constraint '([^']+)'/, text);
      const table = pick(/failed for `[^`]+`\.`([^`]+)`/, text);
      return { ...(constraint ? { constraint } : {}), ...(table ? { table } : {}) };
    }
    case 'NOT_NULL_VIOLATION': {
      const column = pick(/Column '([^']+)'/, text) ?? pick(/Field '([^']+)'/, text);
      return column ? { columns: [column] } : {};
    }
    default:
      return {};
  }
}

/**
 * Turns a mysql2 (MariaDB) error into a StrataError (pure: no I/O).
 *
 * @example
 * translateMariaDbError({ errno: 1062, sqlMessage: "Duplicate entry 'a' for key 'sku'" }) // UNIQUE_VIOLATION
 */
export function translateMariaDbError(err: unknown, phase: ErrorPhase = 'query'): StrataError {
  if (err instanceof StrataError) return err;
  const f: MariaDbErrorFields = typeof err === 'object' && err !== null ? (err as MariaDbErrorFields) : { message: String(err) };
  const code = codeFor(f, phase);
  const text = f.sqlMessage ?? f.message ?? '';
  const details = detailsFor(code, text);
  const message =
    code === 'DATABASE_ERROR' || code.startsWith('CONNECTION')
      ? text
      : `${code.toLowerCase().replace(/_/g, ' ')}${details.constraint ? ` (${details.constraint})` : ''}`;
  return new StrataError(code, message, { ...(f.sqlState ? { sqlState: f.sqlState } : {}), ...details }, { cause: err });
}
