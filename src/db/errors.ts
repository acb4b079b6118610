/** Every error strata raises has one of these stable codes. */
export const ERROR_CODES = [
  'UNIQUE_VIOLATION',
  'FOREIGN_KEY_VIOLATION',
  'CHECK_VIOLATION',
  'NOT_NULL_VIOLATION',
  'INVALID_DATA',
  'SERIALIZATION_FAILURE',
  'DEADLOCK',
  'LOCK_TIMEOUT',
  'STATEMENT_TIMEOUT',
  'CONNECTION_LOST',
  'CONNECTION_FAILED',
  'DATABASE_ERROR',
  'CONFIG_INVALID',
  'EMBEDDED_IN_USE',
  'EMBEDDED_FAILED',
  'EMBEDDED_NOT_RUNNING',
  'PORT_IN_USE',
  'NOT_FOUND',
  'RESTORE_CONFLICT',
  'SOFT_DELETE_SETUP',
  'UPSERT_NO_UNIQUE_INDEX',
  'UPSERT_NULL_KEY',
  'UPSERT_DUPLICATE_KEY',
  'UPSERT_INVALID_ROWS',
  'UPSERT_RETRIES_EXHAUSTED',
  'IDEMPOTENCY_KEY_INVALID',
  'IDEMPOTENCY_KEY_REQUIRED',
  'IDEMPOTENCY_KEY_MISMATCH',
  'IDEMPOTENCY_KEY_IN_FLIGHT',
  'BULK_BAD_ROW',
  'BULK_SOURCE_INVALID',
  'BULK_WHERE_INVALID',
  'KEY_CHANGE_REFUSED',
] as const;

export type StrataErrorCode = (typeof ERROR_CODES)[number];

export interface StrataErrorDetails {
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
