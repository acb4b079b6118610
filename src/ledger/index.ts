export { createAccount, type EntryPage, getAccount, type ListEntriesOptions, listEntries, type OwnerScope } from './accounts.js';
export { MAX_BATCH, type TransferBatchOptions, transferBatch } from './batch.js';
export {
  type CheckOptions,
  type CheckProgress,
  checkLedger,
  LEDGER_CHECK_PRINCIPAL,
  type LedgerCheck,
  type Violation,
  type ViolationKind,
} from './check.js';
export { LEDGER_ERROR_CODES } from './errors.js';
export { type FundRequest, fundAccount, fundingAccount, fundingAccountId, LEDGER_FUNDING_OWNER } from './fund.js';
export { getTransfer } from './get-transfer.js';
export type { RetryOptions } from './retry.js';
export { TRANSFER_STRATEGIES, type TransferStrategy } from './strategies.js';
export { type TransferOptions, transfer } from './transfer.js';
export type { Account, Entry, Metadata, NewAccount, Transfer, TransferRequest, TransferResult } from './types.js';
