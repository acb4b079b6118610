import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { ensureStrataSchema, isStrataError, StrataError } from '../db/index.js';
import { ACCOUNT_COLUMNS, type AccountRow, ENTRY_COLUMNS, type EntryRow, toAccount, toEntry } from './rows.js';
import { ACCOUNTS, ENTRIES } from './tables.js';
import type { Account, Entry, NewAccount } from './types.js';
import { checkNewAccount, checkUuid, sameMetadata } from './validate.js';

/**
 * Whose rows a read may see: one owner's (a principal id), or any (`undefined`). Inside a transaction acting
 * for a principal (`withPrincipal`), row-level security already limits reads to its own accounts.
 */
export interface OwnerScope {
  readonly ownerId?: string;
}

function notFound(id: string): StrataError {
  return new StrataError('LEDGER_ACCOUNT_NOT_FOUND', `account ${id} not found`);
}

/**
 * Opens an account. Repeating a call with the same `id` and attributes returns the existing account;
 * the same id with other attributes is LEDGER_ACCOUNT_CONFLICT.
 *
 * @example
 * const wallet = await createAccount(db, { ownerId: alice.id, currency: 'EUR' }); // alice: a principal (strata/principals)
 * const house = await createAccount(db, { ownerId: treasury.id, currency: 'EUR', overdraftLimit: 10n ** 12n });
 */
export async function createAccount<DB>(db: Kysely<DB>, account: NewAccount): Promise<Account> {
  const a = checkNewAccount(account, uuidv7);
  await ensureStrataSchema(db);
  try {
    const { rows } = await sql<AccountRow>`/* strata:op=ledger_create_account */
      INSERT INTO ${sql.raw(ACCOUNTS)} (owner_id, id, currency, overdraft_limit, opening_balance, balance, metadata)
      VALUES (${a.ownerId}, ${a.id}, ${a.currency}, ${a.overdraftLimit}, ${a.openingBalance}, ${a.openingBalance}, ${JSON.stringify(a.metadata)}::jsonb)
      ON CONFLICT (owner_id, id) DO NOTHING
      RETURNING ${sql.raw(ACCOUNT_COLUMNS)}`.execute(db);
    if (rows[0]) return toAccount(rows[0]);
  } catch (err) {
    // The same id under another owner: the unique index on id refuses it.
    if (isStrataError(err, 'UNIQUE_VIOLATION')) throw new StrataError('LEDGER_ACCOUNT_CONFLICT', `account ${a.id} exists with other attributes`);
    throw err;
  }
  const existing = await getAccount(db, a.id);
  const same =
    existing.ownerId === a.ownerId &&
    existing.currency === a.currency &&
    existing.overdraftLimit === a.overdraftLimit &&
    existing.openingBalance === a.openingBalance &&
    sameMetadata(existing.metadata, a.metadata);
  if (!same) throw new StrataError('LEDGER_ACCOUNT_CONFLICT', `account ${a.id} exists with other attributes`);
  return existing;
}

/**
 * One account with its current balance; LEDGER_ACCOUNT_NOT_FOUND when it does not exist or, with
 * `ownerId`, belongs to someone else.
 *
 * @example
 * const { balance } = await getAccount(db, walletId, { ownerId: alice.id });
 */
export async function getAccount<DB>(db: Kysely<DB>, id: string, scope: OwnerScope = {}): Promise<Account> {
  const accountId = checkUuid(id, 'id');
  await ensureStrataSchema(db);
  const { rows } = await sql<AccountRow>`/* strata:op=ledger_get_account */
    SELECT ${sql.raw(ACCOUNT_COLUMNS)} FROM ${sql.raw(ACCOUNTS)} WHERE id = ${accountId}`.execute(db);
  const row = rows[0];
  if (!row || (scope.ownerId !== undefined && row.owner_id !== scope.ownerId.toLowerCase())) throw notFound(accountId);
  return toAccount(row);
}

/** A page of entries and the cursor of the next page (undefined on the last page). */
export interface EntryPage {
  readonly entries: readonly Entry[];
  /** Pass as `after` to read the next page. */
  readonly next?: bigint;
}

export interface ListEntriesOptions extends OwnerScope {
  /** Entries with a sequence number above this one (the previous page's `next`). Default 0. */
  readonly after?: bigint;
  /** Default 50, at most 1000. */
  readonly limit?: number;
}

/**
 * An account's entries in the order they were applied, a page at a time (keyset on the sequence number).
 *
 * @example
 * let page = await listEntries(db, walletId, { limit: 100 });
 * while (page.next !== undefined) page = await listEntries(db, walletId, { after: page.next, limit: 100 });
 */
export async function listEntries<DB>(db: Kysely<DB>, accountId: string, options: ListEntriesOptions = {}): Promise<EntryPage> {
  const account = await getAccount(db, accountId, options);
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 50)), 1000);
  const { rows } = await sql<EntryRow>`/* strata:op=ledger_list_entries */
    SELECT ${sql.raw(ENTRY_COLUMNS)} FROM ${sql.raw(ENTRIES)}
     WHERE owner_id = ${account.ownerId} AND account_id = ${account.id} AND seq > ${options.after ?? 0n}
     ORDER BY seq LIMIT ${limit + 1}`.execute(db);
  const entries = rows.slice(0, limit).map(toEntry);
  const last = entries[entries.length - 1];
  return rows.length > limit && last ? { entries, next: last.seq } : { entries };
}
