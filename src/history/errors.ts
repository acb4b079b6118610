import { defineErrorCodes } from '../db/index.js';
import { KEY_CHANGE_SQLSTATE } from './render.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    KEY_CHANGE_REFUSED: 'history';
  }
}

/** The history capability's error codes. */
export const HISTORY_ERROR_CODES = defineErrorCodes('history', {
  KEY_CHANGE_REFUSED: {
    status: 409,
    description: "a versioned row's primary key cannot change (its history is keyed by it): insert a new row instead",
    sqlState: KEY_CHANGE_SQLSTATE,
  },
});
