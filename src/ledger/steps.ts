import { sql, type Transaction } from 'kysely';
import { StrataError } from '../db/index.js';
import { CREDIT_SETTING } from './functions.js';
import { TRANSFER_COLUMNS, type TransferRow, toTransfer } from './rows.js';
import { ACCOUNTS, ENTRIES, TRANSFERS_TABLE } from './tables.js';
import type { TransferRequest, TransferResult } from './types.js';
import { sameMetadata } from './validate.js';

/** An account of a transfer as first read (no lock): who owns it, its currency and, unlocked, its balance. */
export interface Side {
  readonly id: string;
  readonly ownerId: string;
  readonly currency: string;
  readonly balance: bigint;
  readonly version: bigint;
  readonly overdraftLimit: bigint;
}

/** Both accounts of a transfer, and the order every strategy takes them in (account id: one global order). */
export interface Sides {
  readonly debit: Side;
  readonly credit: Side;
  readonly ordered: readonly [Side, Side];
}

/** An account's balance and version after a strategy applied its side of the transfer. */
export interface Posted {
  readonly balance: bigint;
  readonly version: bigint;
}

// biome-ignore lint/suspicious/noExplicitAny: the ledger's statements run on any database's transaction
export type Trx = Transaction<any>;

interface SideRow {
  id: string;
  owner_id: string;
  currency: string;
  balance: bigint;
  version: bigint;
  overdraft_limit: bigint;
}

const side = (r: SideRow): Side => ({
  id: r.id,
  ownerId: r.owner_id,
  currency: r.currency,
  balance: r.balance,
  version: r.version,
  overdraftLimit: r.overdraft_limit,
});

interface ResolvedRow extends SideRow {
  principal: string | null;
}

/**
 * Reads both accounts in one statement without locking them, and checks what can be checked before
 * any write: both exist, the debit account belongs to the acting owner (the \`ownerId\` option and the
 * transaction's principal, when there is one), the currencies agree. The same statement bounds lock
 * waits for the rest of the transaction (\`SET LOCAL lock_timeout\`) and names the credit account for
 * the ledger's row-level security policies; both settings are made before the accounts are read
 * (the lateral subquery runs after them, \`OFFSET 0\` keeps them apart).
 */
export async function resolveSides(trx: Trx, request: TransferRequest, ownerId: string | undefined, lockTimeout: string): Promise<Sides> {
  const { rows } = await sql<ResolvedRow>`/* strata:op=ledger_resolve */
    SELECT s.principal, a.* FROM (
      SELECT set_config('lock_timeout', ${lockTimeout}, true) AS lock_timeout, set_config(${CREDIT_SETTING}, ${request.creditAccountId}, true) AS credit,
             nullif(current_setting('strata.principal', true), '') AS principal
      OFFSET 0) s
    CROSS JOIN LATERAL (
      SELECT id, owner_id, currency, balance, version, overdraft_limit FROM ${sql.raw(ACCOUNTS)}
       WHERE id IN (${request.debitAccountId}, ${request.creditAccountId}) AND s.credit IS NOT NULL) a`.execute(trx);
  const debitRow = rows.find((r) => r.id === request.debitAccountId);
  const creditRow = rows.find((r) => r.id === request.creditAccountId);
  const principal = rows[0]?.principal ?? undefined;
  const mine = (owner: string) => (ownerId === undefined || owner === ownerId) && (principal === undefined || owner === principal);
  if (!debitRow || !mine(debitRow.owner_id)) {
    throw new StrataError('LEDGER_ACCOUNT_NOT_FOUND', `debit account ${request.debitAccountId} not found`);
  }
  if (!creditRow) throw new StrataError('LEDGER_ACCOUNT_NOT_FOUND', `credit account ${request.creditAccountId} not found`);
  const debit = side(debitRow);
  const credit = side(creditRow);
  if (debit.currency !== credit.currency || (request.currency !== undefined && request.currency !== debit.currency)) {
    const asked = request.currency ? `, transfer in ${request.currency}` : '';
    throw new StrataError('LEDGER_CURRENCY_MISMATCH', `currency mismatch: debit account in ${debit.currency}, credit account in ${credit.currency}${asked}`);
  }
  return { debit, credit, ordered: debit.id < credit.id ? [debit, credit] : [credit, debit] };
}

/** Ends the credit account's exception to the policies (inside a caller's transaction, which goes on). */
export async function clearCredit(trx: Trx): Promise<void> {
  await sql`SELECT set_config(${CREDIT_SETTING}, '', true)`.execute(trx);
}

/**
 * Inserts the transfer row first: its key (owner, id) is what makes a repeat idempotent. Returns
 * its creation time, or the original transfer when the id is taken (a repeat, or a concurrent
 * call with the same id that committed first), or throws LEDGER_TRANSFER_CONFLICT when the taken
 * id carries other parameters.
 */
export async function insertTransfer(trx: Trx, request: TransferRequest, sides: Sides): Promise<Date | TransferResult> {
  const { debit, credit } = sides;
  const { rows } = await sql<{ created_at: Date }>`/* strata:op=ledger_insert_transfer */
    INSERT INTO ${sql.raw(TRANSFERS_TABLE)} AS x (owner_id, id, debit_account_id, credit_account_id, credit_owner_id, amount, currency, metadata)
    VALUES (${debit.ownerId}, ${request.id}, ${debit.id}, ${credit.id}, ${credit.ownerId}, ${request.amount}, ${debit.currency}, ${JSON.stringify(request.metadata ?? {})}::jsonb)
    ON CONFLICT (owner_id, id) DO NOTHING
    RETURNING x.created_at`.execute(trx);
  if (rows[0]) return rows[0].created_at;
  const existing = await sql<TransferRow>`/* strata:op=ledger_get_transfer */
    SELECT ${sql.raw(TRANSFER_COLUMNS)} FROM ${sql.raw(TRANSFERS_TABLE)} WHERE owner_id = ${debit.ownerId} AND id = ${request.id}`.execute(trx);
  const row = existing.rows[0];
  if (!row) throw new StrataError('SERIALIZATION_FAILURE', `transfer ${request.id} was taken by a transaction this one cannot see yet`);
  const original = toTransfer(row);
  const same =
    original.debitAccountId === request.debitAccountId &&
    original.creditAccountId === request.creditAccountId &&
    original.amount === request.amount &&
    sameMetadata(original.metadata, request.metadata ?? {});
  if (!same) throw new StrataError('LEDGER_TRANSFER_CONFLICT', `transfer ${request.id} exists with other parameters`);
  return { ...original, replayed: true };
}

/** The debit and credit entries, each with the balance and sequence number its account reached (stamped with the transaction's time, as the transfer). */
export async function insertEntries(trx: Trx, request: TransferRequest, sides: Sides, debit: Posted, credit: Posted): Promise<void> {
  const d = sides.debit;
  const c = sides.credit;
  await sql`/* strata:op=ledger_insert_entries */
    INSERT INTO ${sql.raw(ENTRIES)} (owner_id, account_id, seq, transfer_owner_id, transfer_id, amount, balance_after)
    VALUES (${d.ownerId}, ${d.id}, ${debit.version}, ${d.ownerId}, ${request.id}, ${-request.amount}, ${debit.balance}),
           (${c.ownerId}, ${c.id}, ${credit.version}, ${d.ownerId}, ${request.id}, ${request.amount}, ${credit.balance})`.execute(trx);
}

export function insufficientFunds(accountId: string): StrataError {
  return new StrataError('LEDGER_INSUFFICIENT_FUNDS', `account ${accountId} has insufficient funds for this transfer`);
}

/** Whether `account`, as read, covers `amount` within its overdraft limit. */
export function covers(account: { readonly balance: bigint; readonly overdraftLimit: bigint }, amount: bigint): boolean {
  return account.balance + account.overdraftLimit >= amount;
}
