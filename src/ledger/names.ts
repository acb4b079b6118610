import { strataTable } from '../db/index.js';

/** `strata.ledger_accounts`: one row per account, keyed by its owner first (the distribution column on Citus). */
export const ACCOUNTS = strataTable('ledger_accounts');
/** `strata.ledger_transfers`: one row per transfer, keyed by the debit account's owner and the caller's id. */
export const TRANSFERS_TABLE = strataTable('ledger_transfers');
/** `strata.ledger_entries`: two rows per transfer (debit, credit), keyed by account owner, account and sequence. */
export const ENTRIES = strataTable('ledger_entries');
