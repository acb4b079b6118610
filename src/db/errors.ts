/**
 * Every error code strata can raise, mapped to the capability that owns it. The core's codes are
 * listed here; each capability adds its own by augmenting this interface in its `errors.ts` and
 * registering them with `defineErrorCodes`, so the set stays closed and typed without a central list.
 */
export interface StrataErrorCodes {
  UNIQUE_VIOLATION: 'db';
  FOREIGN_KEY_VIOLATION: 'db';
  CHECK_VIOLATION: 'db';
  NOT_NULL_VIOLATION: 'db';
  INVALID_DATA: 'db';
  SERIALIZATION_FAILURE: 'db';
  DEADLOCK: 'db';
  LOCK_TIMEOUT: 'db';
  STATEMENT_TIMEOUT: 'db';
  CONNECTION_LOST: 'db';
  CONNECTION_FAILED: 'db';
  TOO_MANY_CONNECTIONS: 'db';
  DATABASE_ERROR: 'db';
  ROW_SECURITY_REFUSED: 'db';
  CONFIG_INVALID: 'db';
  EMBEDDED_IN_USE: 'db';
  EMBEDDED_FAILED: 'db';
  EMBEDDED_NOT_RUNNING: 'db';
  PORT_IN_USE: 'db';
  NOT_FOUND: 'db';
  SESSION_REQUIRED: 'db';
}

export type StrataErrorCode = keyof StrataErrorCodes;

/** What a code means to a caller across a boundary. */
export interface ErrorKind {
  /**
   * The HTTP status a service answers with. 4xx: the caller can act on the message; 503: transient,
   * retry (the message is replaced by a generic one); absent: an operator's error that never
   * reaches a client (answered as 500).
   */
  readonly status?: number;
  readonly description: string;
  /**
   * A SQLSTATE the capability raises itself (from a trigger or function, class `S` and a letter of
   * its own, e.g. `SH001`), which the driver-error translation maps to this code.
   */
  readonly sqlState?: string;
}

/** A registered code with the capability that owns it. */
export interface RegisteredErrorKind extends ErrorKind {
  readonly code: StrataErrorCode;
  readonly capability: string;
}

type CodesOf<C extends string> = { [K in StrataErrorCode as StrataErrorCodes[K] extends C ? K : never]: ErrorKind };

const registry = new Map<string, RegisteredErrorKind>();
const bySqlState = new Map<string, RegisteredErrorKind>();

/**
 * Registers a capability's error codes (each one declared in `StrataErrorCodes` for that
 * capability; the type checker insists on exactly those). Returns the codes.
 *
 * @example
 * declare module '../db/index.js' { interface StrataErrorCodes { LEDGER_INSUFFICIENT_FUNDS: 'ledger' } }
 * export const LEDGER_ERRORS = defineErrorCodes('ledger', {
 *   LEDGER_INSUFFICIENT_FUNDS: { status: 422, description: 'the debit account cannot cover the amount' },
 * });
 */
export function defineErrorCodes<C extends string>(capability: C, kinds: CodesOf<C>): readonly StrataErrorCode[] {
  const codes = Object.keys(kinds) as StrataErrorCode[];
  for (const code of codes) {
    const kind = (kinds as Record<string, ErrorKind>)[code] as ErrorKind;
    const known = registry.get(code);
    if (known && known.capability !== capability) throw new Error(`error code ${code} is registered by ${known.capability} and ${capability}`);
    const registered = { ...kind, code, capability };
    registry.set(code, registered);
    if (kind.sqlState) bySqlState.set(kind.sqlState, registered);
  }
  return codes;
}

/**
 * The registered kind of a code (status and description), or undefined for a code no loaded
 * capability registered.
 *
 * @example
 * errorKind('UNIQUE_VIOLATION')?.status; // 409
 */
export function errorKind(code: string): RegisteredErrorKind | undefined {
  return registry.get(code);
}

/**
 * The code a capability registered for a SQLSTATE its own database code raises, if any.
 *
 * @example
 * errorForSqlState('SH001')?.code; // 'KEY_CHANGE_REFUSED' once strata/history is loaded
 */
export function errorForSqlState(sqlState: string): RegisteredErrorKind | undefined {
  return bySqlState.get(sqlState);
}

/**
 * Every code registered by the capabilities loaded in this process, in registration order.
 *
 * @example
 * for (const kind of errorKinds()) console.log(kind.code, kind.status ?? '-', kind.description);
 */
export function errorKinds(): readonly RegisteredErrorKind[] {
  return [...registry.values()];
}

defineErrorCodes('db', {
  UNIQUE_VIOLATION: { status: 409, description: 'a row with the same unique key exists' },
  FOREIGN_KEY_VIOLATION: { status: 409, description: 'a referenced row is missing, or a row still references this one' },
  CHECK_VIOLATION: { status: 422, description: 'a value breaks a CHECK constraint' },
  NOT_NULL_VIOLATION: { status: 422, description: 'a required value is missing' },
  INVALID_DATA: { status: 422, description: 'a value is not valid for its column type' },
  SERIALIZATION_FAILURE: { status: 503, description: 'a concurrent transaction conflicted; retry' },
  DEADLOCK: { status: 503, description: 'the transaction was chosen as a deadlock victim; retry' },
  LOCK_TIMEOUT: { status: 503, description: 'a lock was not granted in time' },
  STATEMENT_TIMEOUT: { status: 503, description: 'a statement ran longer than the statement timeout' },
  CONNECTION_LOST: { status: 503, description: 'the connection to the database was lost' },
  CONNECTION_FAILED: { status: 503, description: 'no connection to the database could be made' },
  TOO_MANY_CONNECTIONS: {
    status: 503,
    description: 'the database refused a new connection: its max_connections, or a role or database connection limit, is reached; retry later',
  },
  DATABASE_ERROR: { description: 'any other error the database reported' },
  ROW_SECURITY_REFUSED: {
    status: 403,
    description:
      "row-level security refused a row: on an owned table a principal writes only rows it owns (SQLSTATE 42501 'new row violates row-level security policy')",
  },
  CONFIG_INVALID: { description: 'a setting or an option is invalid' },
  EMBEDDED_IN_USE: { description: 'the embedded server is owned by another process' },
  EMBEDDED_FAILED: { description: 'the embedded server could not be started or stopped' },
  EMBEDDED_NOT_RUNNING: { description: 'the embedded server is not running' },
  PORT_IN_USE: { description: 'a port to listen on is taken' },
  NOT_FOUND: { status: 404, description: 'the row, table or object does not exist' },
  SESSION_REQUIRED: { description: 'work that needs a database session of its own was given a connection through a pooler; set STRATA_DIRECT_URL' },
});

/** Where in a caller's input an error is (a bulk load's line, for example). */
export interface InputPosition {
  /** 1-based line of the input. */
  readonly line?: number;
  /** An inclusive range of lines, when an error is caused by rows together. */
  readonly lines?: readonly [number, number];
}

export interface StrataErrorDetails extends InputPosition {
  readonly sqlState?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly constraint?: string;
  readonly columns?: readonly string[];
  readonly attempts?: number;
}

/**
 * The one error type strata throws. Switch on `code`; the driver's error is on `cause`.
 *
 * @example
 * try {
 *   await db.insertInto('products').values(row).execute();
 * } catch (err) {
 *   if (isStrataError(err, 'UNIQUE_VIOLATION')) console.log(err.details.columns); // ['sku']
 * }
 */
export class StrataError extends Error {
  override readonly name = 'StrataError';
  readonly code: StrataErrorCode;
  readonly details: StrataErrorDetails;

  constructor(code: StrataErrorCode, message: string, details: StrataErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** Returns a copy of this error with more details (for example the number of attempts made). */
  withDetails(extra: StrataErrorDetails): StrataError {
    const copy = new StrataError(this.code, this.message, { ...this.details, ...extra }, { cause: this.cause });
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }
}

/**
 * Narrows `err` to a StrataError, optionally of one code.
 *
 * @example
 * if (isStrataError(err, 'DEADLOCK')) retryLater();
 */
export function isStrataError(err: unknown, code?: StrataErrorCode): err is StrataError {
  return err instanceof StrataError && (code === undefined || err.code === code);
}

/** Where a driver error happened: while connecting, or running a statement. */
export type ErrorPhase = 'connect' | 'query';
