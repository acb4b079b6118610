import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    RESTORE_CONFLICT: 'softdelete';
    SOFT_DELETE_SETUP: 'softdelete';
  }
}

/** The soft-delete capability's error codes. */
export const SOFT_DELETE_ERROR_CODES = defineErrorCodes('softdelete', {
  RESTORE_CONFLICT: { status: 409, description: 'a live row holds the unique key of the row being restored' },
  SOFT_DELETE_SETUP: { description: 'soft deletes are not (or not correctly) enabled on the table' },
});
