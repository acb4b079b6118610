import { defineErrorCodes } from '../db/index.js';

declare module '../db/index.js' {
  interface StrataErrorCodes {
    LEDGER_INVALID_REQUEST: 'ledger';
    LEDGER_ACCOUNT_NOT_FOUND: 'ledger';
    LEDGER_ACCOUNT_CONFLICT: 'ledger';
    LEDGER_INSUFFICIENT_FUNDS: 'ledger';
    LEDGER_CURRENCY_MISMATCH: 'ledger';
    LEDGER_TRANSFER_CONFLICT: 'ledger';
    LEDGER_TRANSFER_NOT_FOUND: 'ledger';
    LEDGER_CONTENTION: 'ledger';
  }
}

/** SQLSTATEs the ledger's database functions raise (class `S`, letter `L`), mapped to its codes. */
export const LEDGER_SQLSTATES = {
  LEDGER_INVALID_REQUEST: 'SL000',
  LEDGER_ACCOUNT_NOT_FOUND: 'SL001',
  LEDGER_INSUFFICIENT_FUNDS: 'SL002',
  LEDGER_CURRENCY_MISMATCH: 'SL003',
  LEDGER_TRANSFER_CONFLICT: 'SL004',
} as const;

/** The ledger capability's error codes. */
export const LEDGER_ERROR_CODES = defineErrorCodes('ledger', {
  LEDGER_INVALID_REQUEST: { status: 422, description: 'a transfer or account request is malformed', sqlState: LEDGER_SQLSTATES.LEDGER_INVALID_REQUEST },
  LEDGER_ACCOUNT_NOT_FOUND: {
    status: 404,
    description: 'the account does not exist, or is not the caller’s to read or debit',
    sqlState: LEDGER_SQLSTATES.LEDGER_ACCOUNT_NOT_FOUND,
  },
  LEDGER_ACCOUNT_CONFLICT: { status: 409, description: 'an account with this id exists with other attributes' },
  LEDGER_INSUFFICIENT_FUNDS: {
    status: 422,
    description: 'the debit account cannot cover the amount (balance plus overdraft limit)',
    sqlState: LEDGER_SQLSTATES.LEDGER_INSUFFICIENT_FUNDS,
  },
  LEDGER_CURRENCY_MISMATCH: {
    status: 422,
    description: 'the accounts (or the transfer and an account) are in different currencies',
    sqlState: LEDGER_SQLSTATES.LEDGER_CURRENCY_MISMATCH,
  },
  LEDGER_TRANSFER_CONFLICT: {
    status: 409,
    description: 'a transfer with this id exists with other parameters',
    sqlState: LEDGER_SQLSTATES.LEDGER_TRANSFER_CONFLICT,
  },
  LEDGER_TRANSFER_NOT_FOUND: { status: 404, description: 'the transfer does not exist, or is not the caller’s to read' },
  LEDGER_CONTENTION: { status: 503, description: 'concurrent transfers kept conflicting on the same accounts until the retries ran out; retry later' },
});
