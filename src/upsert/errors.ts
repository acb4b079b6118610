import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    UPSERT_NO_UNIQUE_INDEX: 'upsert';
    UPSERT_NULL_KEY: 'upsert';
    UPSERT_DUPLICATE_KEY: 'upsert';
    UPSERT_INVALID_ROWS: 'upsert';
    UPSERT_RETRIES_EXHAUSTED: 'upsert';
    IDEMPOTENCY_KEY_INVALID: 'upsert';
    IDEMPOTENCY_KEY_REQUIRED: 'upsert';
    IDEMPOTENCY_KEY_MISMATCH: 'upsert';
    IDEMPOTENCY_KEY_IN_FLIGHT: 'upsert';
  }
}

/** The upsert and idempotency-key capability's error codes. */
export const UPSERT_ERROR_CODES = defineErrorCodes('upsert', {
  UPSERT_NO_UNIQUE_INDEX: { description: 'no unique index covers exactly the upsert key' },
  UPSERT_NULL_KEY: { status: 422, description: 'a row has no value for a key column' },
  UPSERT_DUPLICATE_KEY: { status: 422, description: 'two rows of one batch share a key' },
  UPSERT_INVALID_ROWS: { status: 422, description: 'rows name unknown columns or differ in their columns' },
  UPSERT_RETRIES_EXHAUSTED: { status: 503, description: 'concurrent writers kept changing the rows; retry' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, description: 'the Idempotency-Key header is malformed' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 428, description: 'the route needs an Idempotency-Key header' },
  IDEMPOTENCY_KEY_MISMATCH: { status: 422, description: 'the key was used with another request' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, description: 'a request with this key is still running' },
});
