import type { Account, Entry, Metadata, Transfer } from './types.js';

export interface AccountRow {
  id: string;
  owner_id: string;
  currency: string;
  balance: bigint;
  overdraft_limit: bigint;
  opening_balance: bigint;
  version: bigint;
  metadata: Metadata;
  created_at: Date;
}

export interface TransferRow {
  id: string;
  owner_id: string;
  debit_account_id: string;
  credit_account_id: string;
  credit_owner_id: string;
  amount: bigint;
  currency: string;
  metadata: Metadata;
  created_at: Date;
}

export interface EntryRow {
  account_id: string;
  owner_id: string;
  seq: bigint;
  transfer_id: string;
  amount: bigint;
  balance_after: bigint;
  created_at: Date;
}

export const ACCOUNT_COLUMNS = 'id, owner_id, currency, balance, overdraft_limit, opening_balance, version, metadata, created_at';
export const TRANSFER_COLUMNS = 'id, owner_id, debit_account_id, credit_account_id, credit_owner_id, amount, currency, metadata, created_at';
export const ENTRY_COLUMNS = 'account_id, owner_id, seq, transfer_id, amount, balance_after, created_at';

export function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    ownerId: r.owner_id,
    currency: r.currency,
    balance: r.balance,
    overdraftLimit: r.overdraft_limit,
    openingBalance: r.opening_balance,
    version: r.version,
    metadata: r.metadata,
    createdAt: r.created_at,
  };
}

export function toTransfer(r: TransferRow): Transfer {
  return {
    id: r.id,
    ownerId: r.owner_id,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    creditOwnerId: r.credit_owner_id,
    amount: r.amount,
    currency: r.currency,
    metadata: r.metadata,
    createdAt: r.created_at,
  };
}

export function toEntry(r: EntryRow): Entry {
  return {
    accountId: r.account_id,
    ownerId: r.owner_id,
    seq: r.seq,
    transferId: r.transfer_id,
    amount: r.amount,
    balanceAfter: r.balance_after,
    createdAt: r.created_at,
  };
}
