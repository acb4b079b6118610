import { sql } from 'kysely';
import { covers, insufficientFunds, type Posted, type Side, type Sides, type Trx } from './steps.js';
import { ACCOUNTS } from './tables.js';
import type { TransferRequest } from './types.js';

/** How a transfer keeps concurrent transfers from breaking balances (docs/ledger.md compares them). */
export type TransferStrategy = 'locking' | 'conditional' | 'optimistic' | 'serializable' | 'function';

export const TRANSFER_STRATEGIES: readonly TransferStrategy[] = ['locking', 'conditional', 'optimistic', 'serializable', 'function'];

/** An optimistic write found the account changed since it was read: the attempt is retried. */
export class VersionConflict extends Error {
  override readonly name = 'VersionConflict';
}

/** Applies both sides of a transfer to the balances, accounts in `sides.ordered`; returns what each account reached. */
export type Apply = (trx: Trx, request: TransferRequest, sides: Sides) => Promise<{ debit: Posted; credit: Posted }>;

const delta = (sides: Sides, account: Side, amount: bigint): bigint => (account === sides.debit ? -amount : amount);

function collect(sides: Sides, posted: readonly Posted[]): { debit: Posted; credit: Posted } {
  const [first, second] = posted as [Posted, Posted];
  return sides.ordered[0] === sides.debit ? { debit: first, credit: second } : { debit: second, credit: first };
}

async function setBalance(trx: Trx, account: Side, balance: bigint, version: bigint, expectedVersion?: bigint): Promise<boolean> {
  const guard = expectedVersion === undefined ? sql`` : sql` AND version = ${expectedVersion}`;
  const result = await sql`/* strata:op=ledger_set_balance */
    UPDATE ${sql.raw(ACCOUNTS)} SET balance = ${balance}, version = ${version}
     WHERE owner_id = ${account.ownerId} AND id = ${account.id}${guard}`.execute(trx);
  return result.numAffectedRows === 1n;
}

/** `locking`: each account locked by its own `SELECT ... FOR UPDATE`, in id order; the balance checked and written while locked. */
const locking: Apply = async (trx, request, sides) => {
  const locked: Side[] = [];
  for (const account of sides.ordered) {
    const { rows } = await sql<{ balance: bigint; version: bigint; overdraft_limit: bigint }>`/* strata:op=ledger_lock_account */
      SELECT balance, version, overdraft_limit FROM ${sql.raw(ACCOUNTS)} WHERE owner_id = ${account.ownerId} AND id = ${account.id} FOR UPDATE`.execute(trx);
    const row = rows[0] as { balance: bigint; version: bigint; overdraft_limit: bigint };
    locked.push({ ...account, balance: row.balance, version: row.version, overdraftLimit: row.overdraft_limit });
  }
  const debit = locked[sides.ordered.indexOf(sides.debit)] as Side;
  if (!covers(debit, request.amount)) throw insufficientFunds(debit.id);
  const posted: Posted[] = [];
  for (const [i, account] of sides.ordered.entries()) {
    const now = locked[i] as Side;
    const next = { balance: now.balance + delta(sides, account, request.amount), version: now.version + 1n };
    await setBalance(trx, account, next.balance, next.version);
    posted.push(next);
  }
  return collect(sides, posted);
};

/** `conditional`: one guarded `UPDATE ... RETURNING` per account, in id order; the debit's guard is the funds check. */
const conditional: Apply = async (trx, request, sides) => {
  const posted: Posted[] = [];
  for (const account of sides.ordered) {
    const isDebit = account === sides.debit;
    const guard = isDebit ? sql` AND balance + overdraft_limit >= ${request.amount}` : sql``;
    const { rows } = await sql<Posted>`/* strata:op=ledger_conditional_update */
      UPDATE ${sql.raw(ACCOUNTS)} SET balance = balance + ${delta(sides, account, request.amount)}, version = version + 1
       WHERE owner_id = ${account.ownerId} AND id = ${account.id}${guard}
       RETURNING balance, version`.execute(trx);
    if (!rows[0]) throw insufficientFunds(account.id);
    posted.push(rows[0]);
  }
  return collect(sides, posted);
};

/** `optimistic`: the balances read without a lock are written back only if each account's version is still the one read. */
const optimistic: Apply = async (trx, request, sides) => {
  if (!covers(sides.debit, request.amount)) throw insufficientFunds(sides.debit.id);
  const posted: Posted[] = [];
  for (const account of sides.ordered) {
    const next = { balance: account.balance + delta(sides, account, request.amount), version: account.version + 1n };
    if (!(await setBalance(trx, account, next.balance, next.version, account.version)))
      throw new VersionConflict(`account ${account.id} changed since it was read`);
    posted.push(next);
  }
  return collect(sides, posted);
};

/** `serializable`: plain reads and writes; the transaction runs SERIALIZABLE and PostgreSQL's SSI aborts whichever conflicts. */
const serializable: Apply = async (trx, request, sides) => {
  if (!covers(sides.debit, request.amount)) throw insufficientFunds(sides.debit.id);
  const posted: Posted[] = [];
  for (const account of sides.ordered) {
    const next = { balance: account.balance + delta(sides, account, request.amount), version: account.version + 1n };
    await setBalance(trx, account, next.balance, next.version);
    posted.push(next);
  }
  return collect(sides, posted);
};

/** The client-side strategies (`function` runs in the database instead). */
export const APPLY: Readonly<Record<Exclude<TransferStrategy, 'function'>, Apply>> = { locking, conditional, optimistic, serializable };
