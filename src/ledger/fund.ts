import type { Kysely } from 'kysely';
import { withPrincipal } from '../principals/index.js';
import { createAccount, getAccount } from './accounts.js';
import { LEDGER_CHECK_PRINCIPAL } from './check.js';
import { transfer } from './transfer.js';
import type { Account, Metadata, TransferResult } from './types.js';
import { checkUuid } from './validate.js';

/**
 * The principal id that owns the funding accounts: no principal row, no token. Money enters the
 * ledger as a transfer from its account in the currency, so double entry and conservation hold
 * (that account's balance is minus everything ever funded in its currency).
 */
export const LEDGER_FUNDING_OWNER = '00000000-0000-0000-0000-00000000f0d0';

const FUNDING = { id: LEDGER_FUNDING_OWNER } as const;
/** The funding account may go as far below zero as a bigint reaches. */
const UNLIMITED = 2n ** 63n - 1n;

/** The funding account of `currency`: its id is fixed by the currency (`…0001-` and the currency's letters in hex). */
export function fundingAccountId(currency: string): string {
  const hex = Buffer.from(currency, 'ascii').toString('hex').padStart(12, '0');
  return `00000000-0000-0000-0001-${hex}`;
}

export interface FundRequest {
  /** The transfer's id: repeating it returns the original (`replayed: true`), nothing applied twice. */
  readonly id: string;
  /** The account to credit (anyone's). */
  readonly accountId: string;
  /** Minor units above 0. */
  readonly amount: bigint;
  readonly metadata?: Metadata;
}

/** The funding account of `currency`, opened on first use (idempotent: a fixed id, so concurrent first uses open one). */
export async function fundingAccount<DB>(db: Kysely<DB>, currency: string): Promise<Account> {
  return withPrincipal(db as Kysely<unknown>, FUNDING, (trx) =>
    createAccount(trx, {
      id: fundingAccountId(currency),
      ownerId: LEDGER_FUNDING_OWNER,
      currency,
      overdraftLimit: UNLIMITED,
      metadata: { strata: 'funding' },
    }),
  );
}

/**
 * Puts money into an account: a transfer from the funding account of the account's currency (an
 * operator's act: `strata ledger fund`, or `POST /admin/accounts/:id/fund` with scope `admin`;
 * never reachable with scope `wallet`). An unknown account is LEDGER_ACCOUNT_NOT_FOUND, and the
 * transfer keeps every rule of `transfer` (idempotent id, a typed conflict for the same id with
 * other parameters).
 *
 * @example
 * await fundAccount(db, { id: uuidv7(), accountId: wallet.id, amount: 10_000n, metadata: { reason: 'welcome credit' } });
 */
export async function fundAccount<DB>(db: Kysely<DB>, request: FundRequest): Promise<TransferResult> {
  const accountId = checkUuid(request.accountId, 'accountId');
  // Read as an admin principal: row-level security shows the account whoever owns it.
  const account = await withPrincipal(db as Kysely<unknown>, LEDGER_CHECK_PRINCIPAL, (trx) => getAccount(trx, accountId));
  const source = await fundingAccount(db, account.currency);
  return transfer(
    db,
    {
      id: request.id,
      debitAccountId: source.id,
      creditAccountId: account.id,
      amount: request.amount,
      currency: account.currency,
      ...(request.metadata ? { metadata: request.metadata } : {}),
    },
    { principal: FUNDING },
  );
}
