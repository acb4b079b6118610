import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/index.js';
import { checkLedger, createAccount, getAccount, listEntries, TRANSFER_STRATEGIES, transfer } from '../../src/ledger/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
/** Owners are principal ids (UUIDs). */
const owner = { alice: uuidv7(), bob: uuidv7(), shop: uuidv7(), carol: uuidv7(), dave: uuidv7(), erin: uuidv7(), frank: uuidv7() };

async function counts(db: Kysely<unknown>): Promise<{ transfers: number; entries: number }> {
  const { rows } = await sql<{ transfers: number; entries: number }>`
    SELECT (SELECT count(*) FROM strata.ledger_transfers)::int AS transfers, (SELECT count(*) FROM strata.ledger_entries)::int AS entries`.execute(db);
  return rows[0] as { transfers: number; entries: number };
}

describe.each(TRANSFER_STRATEGIES)('transfer, strategy %s', (strategy) => {
  let db: Kysely<unknown>;
  let alice: string;
  let bob: string;
  let dollars: string;
  beforeAll(async () => {
    db = pg.database.db;
    alice = (await createAccount(db, { ownerId: owner.alice, currency: 'EUR', openingBalance: 1000n })).id;
    bob = (await createAccount(db, { ownerId: owner.bob, currency: 'EUR' })).id;
    dollars = (await createAccount(db, { ownerId: owner.bob, currency: 'USD', openingBalance: 500n })).id;
  });

  it('moves the amount: one transfer, a debit and a credit entry with the balances after them', async () => {
    const id = uuidv7();
    const t = await transfer(db, { id, debitAccountId: alice, creditAccountId: bob, amount: 250n, currency: 'EUR', metadata: { note: 'rent' } }, { strategy });
    expect(t).toMatchObject({ id, ownerId: owner.alice, creditOwnerId: owner.bob, amount: 250n, currency: 'EUR', metadata: { note: 'rent' }, replayed: false });
    expect((await getAccount(db, alice)).balance).toBe(750n);
    expect((await getAccount(db, bob)).balance).toBe(250n);
    const debit = (await listEntries(db, alice)).entries;
    const credit = (await listEntries(db, bob)).entries;
    expect(debit).toEqual([expect.objectContaining({ seq: 1n, transferId: id, amount: -250n, balanceAfter: 750n })]);
    expect(credit).toEqual([expect.objectContaining({ seq: 1n, transferId: id, amount: 250n, balanceAfter: 250n })]);
    expect(debit[0]?.createdAt).toEqual(t.createdAt);
    expect((await checkLedger(db)).ok).toBe(true);
  });

  it('a repeated id returns the original transfer and moves nothing; other parameters under that id are a conflict', async () => {
    const id = uuidv7();
    const request = { id, debitAccountId: alice, creditAccountId: bob, amount: 10n, metadata: { a: 1, b: [1, 2] } };
    const first = await transfer(db, request, { strategy });
    const before = await getAccount(db, alice);
    const again = await transfer(db, { ...request, metadata: { b: [1, 2], a: 1 } }, { strategy });
    expect(again).toEqual({ ...first, replayed: true });
    expect((await getAccount(db, alice)).balance).toBe(before.balance);
    for (const other of [{ amount: 11n }, { creditAccountId: dollars }, { metadata: { a: 2 } }]) {
      const err = await caught(() => transfer(db, { ...request, ...other }, { strategy }));
      expect(
        err.code,
        JSON.stringify(other, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
      ).toBe(other.creditAccountId ? 'LEDGER_CURRENCY_MISMATCH' : 'LEDGER_TRANSFER_CONFLICT');
    }
    expect((await getAccount(db, alice)).balance).toBe(before.balance);
  });

  it('refuses, writing nothing: insufficient funds, another currency, unknown accounts, someone else’s debit account, bad input', async () => {
    const before = await counts(db);
    const balance = (await getAccount(db, alice)).balance;
    const base = { debitAccountId: alice, creditAccountId: bob };
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{ amount: balance + 1n }, {}, 'LEDGER_INSUFFICIENT_FUNDS'],
      [{ creditAccountId: dollars, amount: 1n }, {}, 'LEDGER_CURRENCY_MISMATCH'],
      [{ amount: 1n, currency: 'USD' }, {}, 'LEDGER_CURRENCY_MISMATCH'],
      [{ creditAccountId: uuidv7(), amount: 1n }, {}, 'LEDGER_ACCOUNT_NOT_FOUND'],
      [{ debitAccountId: uuidv7(), amount: 1n }, {}, 'LEDGER_ACCOUNT_NOT_FOUND'],
      [{ amount: 1n }, { ownerId: owner.bob }, 'LEDGER_ACCOUNT_NOT_FOUND'],
      [{ amount: 0n }, {}, 'LEDGER_INVALID_REQUEST'],
      [{ amount: 5 }, {}, 'LEDGER_INVALID_REQUEST'],
      [{ creditAccountId: alice, amount: 1n }, {}, 'LEDGER_INVALID_REQUEST'],
      [{ amount: 1n, currency: 'eur' }, {}, 'LEDGER_INVALID_REQUEST'],
    ];
    for (const [request, options, code] of cases) {
      const err = await caught(() => transfer(db, { id: uuidv7(), ...base, ...request } as never, { strategy, ...options }));
      expect(err.code, `${JSON.stringify(Object.keys(request))} ${code}`).toBe(code);
    }
    expect(await counts(db)).toEqual(before);
    expect((await getAccount(db, alice)).balance).toBe(balance);
  });

  it('the owner may debit its own account; an overdraft limit lets the balance go below zero, down to the limit', async () => {
    const shop = await createAccount(db, { ownerId: owner.shop, currency: 'EUR', overdraftLimit: 100n });
    await transfer(db, { id: uuidv7(), debitAccountId: shop.id, creditAccountId: bob, amount: 100n }, { strategy, ownerId: owner.shop });
    expect((await getAccount(db, shop.id)).balance).toBe(-100n);
    const err = await caught(() => transfer(db, { id: uuidv7(), debitAccountId: shop.id, creditAccountId: bob, amount: 1n }, { strategy }));
    expect(err.code).toBe('LEDGER_INSUFFICIENT_FUNDS');
    expect((await checkLedger(db)).ok).toBe(true);
  });

  it('joins a caller’s transaction: its rollback undoes the transfer', async () => {
    const id = uuidv7();
    const before = (await getAccount(db, alice)).balance;
    const isolation = strategy === 'serializable' ? 'serializable' : undefined;
    await expect(
      withTransaction(
        db,
        async (trx) => {
          await transfer(trx, { id, debitAccountId: alice, creditAccountId: bob, amount: 1n }, { strategy });
          expect((await getAccount(trx, alice)).balance).toBe(before - 1n);
          throw new Error('changed my mind');
        },
        isolation ? { isolation } : {},
      ),
    ).rejects.toThrow('changed my mind');
    expect((await getAccount(db, alice)).balance).toBe(before);
  });
});

describe('accounts', () => {
  it('createAccount with an id is idempotent; other attributes under that id are a conflict, also under another owner', async () => {
    const db = pg.database.db;
    const id = uuidv7();
    const a = await createAccount(db, { id, ownerId: owner.carol, currency: 'EUR', metadata: { x: 1 } });
    expect(await createAccount(db, { id, ownerId: owner.carol, currency: 'EUR', metadata: { x: 1 } })).toEqual(a);
    expect((await caught(() => createAccount(db, { id, ownerId: owner.carol, currency: 'USD' }))).code).toBe('LEDGER_ACCOUNT_CONFLICT');
    expect((await caught(() => createAccount(db, { id, ownerId: owner.dave, currency: 'EUR' }))).code).toBe('LEDGER_ACCOUNT_CONFLICT');
    expect((await caught(() => getAccount(db, id, { ownerId: owner.dave }))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    expect((await caught(() => createAccount(db, { ownerId: owner.carol, currency: 'EUR', openingBalance: -1n }))).code).toBe('LEDGER_INVALID_REQUEST');
  });

  it('entries page by sequence number', async () => {
    const db = pg.database.db;
    const from = await createAccount(db, { ownerId: owner.erin, currency: 'EUR', openingBalance: 100n });
    const to = await createAccount(db, { ownerId: owner.frank, currency: 'EUR' });
    for (let i = 0; i < 5; i++) await transfer(db, { id: uuidv7(), debitAccountId: from.id, creditAccountId: to.id, amount: 1n });
    const first = await listEntries(db, from.id, { limit: 2 });
    expect(first.entries.map((e) => e.seq)).toEqual([1n, 2n]);
    const second = await listEntries(db, from.id, { limit: 2, after: first.next as bigint });
    const third = await listEntries(db, from.id, { limit: 2, after: second.next as bigint });
    expect(third.entries.map((e) => [e.seq, e.balanceAfter])).toEqual([[5n, 95n]]);
    expect(third.next).toBeUndefined();
    expect((await caught(() => listEntries(db, from.id, { ownerId: owner.frank }))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
  });
});
