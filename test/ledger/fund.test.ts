import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkLedger, createAccount, fundAccount, fundingAccountId, getAccount, LEDGER_FUNDING_OWNER, listEntries, transfer } from '../../src/ledger/index.js';
import { createPrincipal, type Principal, withPrincipal } from '../../src/principals/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 20 });

describe('fundAccount: money enters the ledger as a transfer from the funding account of the currency', () => {
  let db: Kysely<unknown>;
  let alice: Principal;
  let wallet: string;
  beforeAll(async () => {
    db = pg.database.db;
    alice = { id: (await createPrincipal(db, 'alice')).id, name: 'alice', scopes: ['wallet'], tokenId: uuidv7() };
    wallet = (await withPrincipal(db, alice, (trx) => createAccount(trx, { ownerId: alice.id, currency: 'EUR' }))).id;
  });

  it('credits the account with one transfer and two entries; the funding account goes below zero by as much; the ledger holds', async () => {
    const id = uuidv7();
    const t = await fundAccount(db, { id, accountId: wallet, amount: 10_000n, metadata: { reason: 'welcome' } });
    expect(t).toMatchObject({ id, creditAccountId: wallet, debitAccountId: fundingAccountId('EUR'), amount: 10_000n, currency: 'EUR', replayed: false });
    expect((await getAccount(db, wallet)).balance).toBe(10_000n);
    const source = await getAccount(db, fundingAccountId('EUR'));
    expect(source).toMatchObject({ ownerId: LEDGER_FUNDING_OWNER, currency: 'EUR', balance: -10_000n });
    expect((await listEntries(db, wallet)).entries.map((e) => [e.transferId, e.amount])).toEqual([[id, 10_000n]]);
    // The same id again: the original, nothing applied twice; other parameters: a typed conflict.
    expect((await fundAccount(db, { id, accountId: wallet, amount: 10_000n, metadata: { reason: 'welcome' } })).replayed).toBe(true);
    expect((await caught(() => fundAccount(db, { id, accountId: wallet, amount: 1n }))).code).toBe('LEDGER_TRANSFER_CONFLICT');
    expect((await getAccount(db, wallet)).balance).toBe(10_000n);
    // The funded money is the owner's to spend.
    const shop = await createAccount(db, { ownerId: uuidv7(), currency: 'EUR' });
    await transfer(db, { id: uuidv7(), debitAccountId: wallet, creditAccountId: shop.id, amount: 2_500n }, { principal: alice });
    expect((await getAccount(db, wallet)).balance).toBe(7_500n);
    expect((await checkLedger(db)).violations).toEqual([]);
  });

  it('one funding account per currency, also when the first funds of a currency arrive at once over many connections', async () => {
    const owners = Array.from({ length: 8 }, () => uuidv7());
    const wallets = await Promise.all(owners.map((ownerId) => createAccount(db, { ownerId, currency: 'JPY' })));
    await Promise.all(wallets.map((w) => fundAccount(db, { id: uuidv7(), accountId: w.id, amount: 700n })));
    const { rows } = await sql<{ n: number; balance: string }>`SELECT count(*)::int AS n, sum(balance)::text AS balance FROM strata.ledger_accounts
      WHERE owner_id = ${LEDGER_FUNDING_OWNER} AND currency = 'JPY'`.execute(db);
    expect(rows[0]).toEqual({ n: 1, balance: String(-700 * 8) });
    expect((await checkLedger(db)).violations).toEqual([]);
  });

  it('an unknown account or a bad amount is refused and writes nothing; a principal cannot debit the funding account', async () => {
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_transfers`.execute(db);
    expect((await caught(() => fundAccount(db, { id: uuidv7(), accountId: uuidv7(), amount: 5n }))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    expect((await caught(() => fundAccount(db, { id: uuidv7(), accountId: wallet, amount: 0n }))).code).toBe('LEDGER_INVALID_REQUEST');
    const steal = await caught(() =>
      transfer(db, { id: uuidv7(), debitAccountId: fundingAccountId('EUR'), creditAccountId: wallet, amount: 5n }, { principal: alice }),
    );
    expect(steal.code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_transfers`.execute(db)).rows).toEqual(before.rows);
  });
});
