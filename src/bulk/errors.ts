import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    BULK_BAD_ROW: 'bulk';
    BULK_SOURCE_INVALID: 'bulk';
    BULK_WHERE_INVALID: 'bulk';
  }
}

/** The bulk capability's error codes. */
export const BULK_ERROR_CODES = defineErrorCodes('bulk', {
  BULK_BAD_ROW: { status: 422, description: 'a row of the input was refused (its line is in details.line)' },
  BULK_SOURCE_INVALID: { status: 400, description: 'the input cannot be read as the declared format' },
  BULK_WHERE_INVALID: { status: 400, description: 'an export condition is not one valid SQL expression' },
});
