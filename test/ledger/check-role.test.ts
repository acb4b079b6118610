import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openPostgres } from '../../src/db/index.js';
import { checkLedger, createAccount, transfer } from '../../src/ledger/index.js';
import { createPrincipal, type Principal, withPrincipal } from '../../src/principals/index.js';
import { usePostgres } from '../support/postgres.js';
import { createLoginRole, LEDGER_READER_GRANTS } from '../support/roles.js';

const pg = usePostgres({ max: 4 });

function principal(id: string, name: string): Principal {
  return { id, name, scopes: ['wallet'], tokenId: '00000000-0000-7000-8000-000000000000' };
}

/**
 * Regression: checkLedger read through row-level security as whoever connected. Under a service
 * role that neither is superuser nor bypasses RLS (production), it saw no row and reported
 * `ok` on 0 accounts, whatever the ledger held.
 */
describe('checkLedger under a login role held to row-level security', () => {
  let owner: Kysely<unknown>;
  let service: Database;
  let aliceWallet: string;
  beforeAll(async () => {
    owner = pg.database.db;
    const alice = principal((await createPrincipal(owner, 'alice')).id, 'alice');
    const bob = principal((await createPrincipal(owner, 'bob')).id, 'bob');
    aliceWallet = (await withPrincipal(owner, alice, (trx) => createAccount(trx, { ownerId: alice.id, currency: 'EUR', openingBalance: 500n }))).id;
    const bobWallet = (await withPrincipal(owner, bob, (trx) => createAccount(trx, { ownerId: bob.id, currency: 'EUR' }))).id;
    await transfer(owner, { id: uuidv7(), debitAccountId: aliceWallet, creditAccountId: bobWallet, amount: 120n }, { principal: alice });
    await transfer(owner, { id: uuidv7(), debitAccountId: bobWallet, creditAccountId: aliceWallet, amount: 20n }, { principal: bob });
    const role = await createLoginRole(owner, 'strata_t_ledger_app', LEDGER_READER_GRANTS);
    service = await openPostgres(role.urlFrom(pg.url), { max: 2 });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('the role itself sees no row without a principal context (the policies apply to it)', async () => {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_accounts`.execute(service.db);
    expect(rows[0]?.n).toBe(0);
    const { rows: who } = await sql<{ bypass: boolean }>`SELECT rolsuper OR rolbypassrls AS bypass FROM pg_roles WHERE rolname = current_user`.execute(
      service.db,
    );
    expect(who[0]?.bypass).toBe(false);
  });

  it('the check reads every account, transfer and entry, and reports ok', async () => {
    const report = await checkLedger(service.db);
    expect(report).toMatchObject({ ok: true, accounts: 2, transfers: 2, entries: 4, violations: [] });
  });

  it('a balance changed behind the ledger is found through the same role', async () => {
    await sql`UPDATE strata.ledger_accounts SET balance = balance + 7 WHERE id = ${aliceWallet}`.execute(owner);
    try {
      const report = await checkLedger(service.db);
      expect(report.ok).toBe(false);
      expect(report.counts).toMatchObject({ balance: 1, conservation: 1, limit: 0, entries: 0, orphan_entry: 0, chain: 0 });
      expect(report.violations.find((v) => v.kind === 'balance')?.message).toContain(aliceWallet);
    } finally {
      await sql`UPDATE strata.ledger_accounts SET balance = balance - 7 WHERE id = ${aliceWallet}`.execute(owner);
    }
    expect((await checkLedger(service.db)).ok).toBe(true);
  });

  it('the check leaves no principal context or role behind on the connection', async () => {
    const single = await openPostgres(pg.url, { max: 1 });
    try {
      const before = await sql<{ user: string }>`SELECT current_user AS user`.execute(single.db);
      await checkLedger(single.db);
      const after = await sql<{ user: string; admin: string | null }>`
        SELECT current_user AS user, nullif(current_setting('strata.principal_admin', true), '') AS admin`.execute(single.db);
      expect(after.rows[0]).toEqual({ user: before.rows[0]?.user, admin: null });
    } finally {
      await single.close();
    }
  });
});
