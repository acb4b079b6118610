import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkLedger, createAccount, getAccount, getTransfer, listEntries, TRANSFER_STRATEGIES, transfer, transferBatch } from '../../src/ledger/index.js';
import { createPrincipal, type Principal, withPrincipal } from '../../src/principals/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 6 });

function principal(id: string, name: string, scopes: Principal['scopes'] = ['wallet']): Principal {
  return { id, name, scopes, tokenId: '00000000-0000-7000-8000-000000000000' };
}

async function snapshot(db: Kysely<unknown>): Promise<unknown> {
  const { rows } =
    await sql`SELECT (SELECT count(*) FROM strata.ledger_transfers)::int AS transfers, (SELECT count(*) FROM strata.ledger_entries)::int AS entries,
    (SELECT json_agg(json_build_object('id', id, 'balance', balance::text, 'version', version::text) ORDER BY id) FROM strata.ledger_accounts) AS accounts`.execute(
      db,
    );
  return rows[0];
}

describe('ledger ownership: a principal reads and debits only its own accounts', () => {
  let db: Kysely<unknown>;
  let alice: Principal;
  let bob: Principal;
  let admin: Principal;
  let aliceWallet: string;
  let bobWallet: string;
  beforeAll(async () => {
    db = pg.database.db;
    alice = principal((await createPrincipal(db, 'alice')).id, 'alice');
    bob = principal((await createPrincipal(db, 'bob')).id, 'bob');
    admin = principal((await createPrincipal(db, 'root')).id, 'root', ['admin', 'wallet']);
    // Accounts opened under their owner's context: the insert policy admits only the principal's own.
    aliceWallet = (await withPrincipal(db, alice, (trx) => createAccount(trx, { ownerId: alice.id, currency: 'EUR' }))).id;
    bobWallet = (await withPrincipal(db, bob, (trx) => createAccount(trx, { ownerId: bob.id, currency: 'EUR' }))).id;
    // Funding comes from the application itself (no principal: the superuser login bypasses the policies).
    const mint = await createAccount(db, { ownerId: uuidv7(), currency: 'EUR', openingBalance: 10_000n });
    await transferBatch(db, [
      { id: uuidv7(), debitAccountId: mint.id, creditAccountId: aliceWallet, amount: 1000n },
      { id: uuidv7(), debitAccountId: mint.id, creditAccountId: bobWallet, amount: 1000n },
    ]);
  });

  it('opening an account for someone else under a principal is refused by row-level security', async () => {
    const err = await caught(() => withPrincipal(db, alice, (trx) => createAccount(trx, { ownerId: bob.id, currency: 'EUR' })));
    expect(err.message).toMatch(/row-level security/);
  });

  it("another's account: not found through the library, invisible and unchangeable through raw queries, under the principal's context", async () => {
    await withPrincipal(db, alice, async (trx) => {
      expect((await caught(() => getAccount(trx, bobWallet))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
      expect((await caught(() => listEntries(trx, bobWallet))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
      expect((await getAccount(trx, aliceWallet)).balance).toBe(1000n);
      const { rows } = await sql<{ owner_id: string }>`SELECT owner_id FROM strata.ledger_accounts`.execute(trx);
      expect(rows.map((r) => r.owner_id)).toEqual([alice.id]);
      const stolen = await sql`UPDATE strata.ledger_accounts SET balance = 0 WHERE id = ${bobWallet}`.execute(trx);
      expect(stolen.numAffectedRows).toBe(0n);
      const entries = await sql`SELECT * FROM strata.ledger_entries WHERE account_id = ${bobWallet}`.execute(trx);
      expect(entries.rows).toEqual([]);
    });
    expect((await getAccount(db, bobWallet)).balance).toBe(1000n);
  });

  it.each(TRANSFER_STRATEGIES)("strategy %s: debiting another's account is not found and writes nothing; crediting it works", async (strategy) => {
    const before = await snapshot(db);
    const theft = { id: uuidv7(), debitAccountId: bobWallet, creditAccountId: aliceWallet, amount: 10n };
    expect((await caught(() => transfer(db, theft, { strategy, principal: alice }))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    const isolation = strategy === 'serializable' ? { isolation: 'serializable' as const } : {};
    expect((await caught(() => withPrincipal(db, alice, (trx) => transfer(trx, theft, { strategy }), isolation))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    // admin reads every account but debits only its own.
    expect((await caught(() => transfer(db, theft, { strategy, principal: admin }))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    expect((await caught(() => transferBatch(db, [theft], { principal: alice }))).code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    expect(await snapshot(db)).toEqual(before);

    const gift = { id: uuidv7(), debitAccountId: aliceWallet, creditAccountId: bobWallet, amount: 10n };
    const bobBefore = (await getAccount(db, bobWallet)).balance;
    const t = await transfer(db, gift, { strategy, principal: alice });
    expect(t).toMatchObject({ ownerId: alice.id, creditOwnerId: bob.id, replayed: false });
    expect((await getAccount(db, bobWallet)).balance).toBe(bobBefore + 10n);
    expect(await transfer(db, gift, { strategy, principal: alice })).toMatchObject({ replayed: true });
  });

  it("inside the principal's own transaction a transfer joins it, and afterwards the credited account is out of reach again", async () => {
    const gift = { id: uuidv7(), debitAccountId: aliceWallet, creditAccountId: bobWallet, amount: 3n };
    await withPrincipal(db, alice, async (trx) => {
      await transfer(trx, gift, { strategy: 'conditional' });
      const after = await sql`UPDATE strata.ledger_accounts SET balance = balance - 3 WHERE id = ${bobWallet}`.execute(trx);
      expect(after.numAffectedRows).toBe(0n);
      expect((await sql`SELECT 1 FROM strata.ledger_accounts WHERE id = ${bobWallet}`.execute(trx)).rows).toEqual([]);
    });
    await withPrincipal(db, alice, async (trx) => {
      await transfer(trx, { ...gift, id: uuidv7() }, { strategy: 'function' });
      const after = await sql`UPDATE strata.ledger_accounts SET balance = balance - 3 WHERE id = ${bobWallet}`.execute(trx);
      expect(after.numAffectedRows).toBe(0n);
    });
    expect((await checkLedger(db)).violations).toEqual([]);
  });

  it('a transfer is readable by its sender and its recipient, by nobody else; admin reads everything', async () => {
    const carol = principal((await createPrincipal(db, 'carol')).id, 'carol');
    const gift = await transfer(db, { id: uuidv7(), debitAccountId: aliceWallet, creditAccountId: bobWallet, amount: 1n }, { principal: alice });
    expect((await withPrincipal(db, alice, (trx) => getTransfer(trx, gift.id))).id).toBe(gift.id);
    expect((await withPrincipal(db, bob, (trx) => getTransfer(trx, gift.id))).id).toBe(gift.id);
    expect((await caught(() => withPrincipal(db, carol, (trx) => getTransfer(trx, gift.id)))).code).toBe('LEDGER_TRANSFER_NOT_FOUND');
    expect((await caught(() => getTransfer(db, gift.id, { ownerId: carol.id }))).code).toBe('LEDGER_TRANSFER_NOT_FOUND');
    expect((await getTransfer(db, gift.id, { ownerId: bob.id })).amount).toBe(1n);
    const everything = await withPrincipal(db, admin, (trx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_accounts`.execute(trx));
    expect(everything.rows[0]?.n).toBeGreaterThanOrEqual(3);
    // Bob sees his credit entry, not Alice's debit entry.
    const bobs = await withPrincipal(db, bob, (trx) =>
      sql<{ account_id: string }>`SELECT account_id FROM strata.ledger_entries WHERE transfer_id = ${gift.id}`.execute(trx),
    );
    expect(bobs.rows.map((r) => r.account_id)).toEqual([bobWallet]);
  });
});
