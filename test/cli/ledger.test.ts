import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount, transfer } from '../../src/ledger/index.js';
import { createPrincipal, type Principal, withPrincipal } from '../../src/principals/index.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';
import { createLoginRole, LEDGER_READER_GRANTS } from '../support/roles.js';

const pg = usePostgres({ max: 4 });

describe('strata ledger check', () => {
  let env: NodeJS.ProcessEnv;
  let wallet: string;
  let transferId: string;
  beforeAll(async () => {
    const db = pg.database.db;
    const alice: Principal = { id: (await createPrincipal(db, 'alice')).id, name: 'alice', scopes: ['wallet'], tokenId: uuidv7() };
    wallet = (await withPrincipal(db, alice, (trx) => createAccount(trx, { ownerId: alice.id, currency: 'EUR', openingBalance: 100n }))).id;
    const shop = await createAccount(db, { ownerId: uuidv7(), currency: 'EUR' });
    transferId = (await transfer(db, { id: uuidv7(), debitAccountId: wallet, creditAccountId: shop.id, amount: 30n }, { principal: alice })).id;
    // The operator's view: a service role held to row-level security, as in production.
    const role = await createLoginRole(db, 'strata_t_ledger_cli', LEDGER_READER_GRANTS);
    env = { DATABASE_URL: role.urlFrom(pg.url) };
  });

  it('a sound ledger: exit 0, nothing on stdout, the sizes it read on stderr', async () => {
    const result = await runCli(['ledger', 'check'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('checking balance (1/6)');
    expect(result.stderr).toMatch(/^ledger ok: 2 accounts, 1 transfers, 2 entries$/m);
  });

  it('each violation on its own line, exit 1 with one line naming how many', async () => {
    const db = pg.database.db;
    await sql`UPDATE strata.ledger_accounts SET balance = balance - 5 WHERE id = ${wallet}`.execute(db);
    await sql`DELETE FROM strata.ledger_entries WHERE transfer_id = ${transferId} AND amount > 0`.execute(db);
    try {
      const result = await runCli(['ledger', 'check'], env);
      expect(result.code).toBe(1);
      const lines = result.stdout.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('balance: '))).toHaveLength(2);
      expect(lines.find((l) => l.startsWith('balance: '))).toContain(wallet);
      expect(lines.filter((l) => l.startsWith('entries: '))).toEqual([expect.stringContaining(transferId)]);
      expect(lines.filter((l) => l.startsWith('conservation: '))).toHaveLength(1);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(
        /^strata: ledger check found 4 violations \(2 balance, 1 conservation, 1 entries\) in 2 accounts, 1 transfers, 1 entries$/,
      );
      const limited = await runCli(['ledger', 'check', '--limit', '1'], env);
      expect(limited.code).toBe(1);
      expect(limited.stdout).toContain('balance: 1 more not listed (--limit 1)');
    } finally {
      await sql`TRUNCATE strata.ledger_entries, strata.ledger_transfers, strata.ledger_accounts`.execute(db);
    }
  });

  it('bad usage and an unreachable database: non-zero with one line', async () => {
    const usage = await runCli(['ledger', 'check', '--limit', 'ten'], env);
    expect(usage.code).not.toBe(0);
    expect(usage.stderr).toMatch(/--limit/);
    const down = await runCli(['ledger', 'check'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^strata: /);
  });
});

describe('strata ledger fund', () => {
  it('puts money into an account from the funding account of its currency; the same --id applies nothing twice; the ledger still holds', async () => {
    const db = pg.database.db;
    const wallet = await createAccount(db, { ownerId: uuidv7(), currency: 'CHF' });
    const env = { DATABASE_URL: pg.url };
    const id = uuidv7();
    const first = await runCli(['ledger', 'fund', wallet.id, '2500', '--id', id, '--metadata', '{"reason":"welcome"}'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ id, credit_account_id: wallet.id, amount: '2500', currency: 'CHF', replayed: false });
    expect(first.stderr).toContain(`funding account ${wallet.id} with 2500`);
    const again = await runCli(['ledger', 'fund', wallet.id, '2500', '--id', id, '--metadata', '{"reason":"welcome"}'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id, replayed: true });
    const { rows } = await sql<{ balance: string }>`SELECT balance::text AS balance FROM strata.ledger_accounts WHERE id = ${wallet.id}`.execute(db);
    expect(rows[0]?.balance).toBe('2500');
    const check = await runCli(['ledger', 'check'], env);
    expect(check.code, check.stdout).toBe(0);
  });

  it('refuses a bad amount, bad metadata and an unknown account with one line, writing nothing', async () => {
    const db = pg.database.db;
    const wallet = await createAccount(db, { ownerId: uuidv7(), currency: 'CHF' });
    const env = { DATABASE_URL: pg.url };
    const count = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_transfers`.execute(db)).rows[0]?.n;
    const before = await count();
    for (const [args, reason] of [
      [[wallet.id, '12.5'], /amount must be a whole number/],
      [[wallet.id, '10', '--metadata', '[1]'], /--metadata must be a JSON object/],
      [[uuidv7(), '10'], /not found/],
    ] as const) {
      const result = await runCli(['ledger', 'fund', ...args], env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^strata: /);
      expect(result.stderr).toMatch(reason);
    }
    expect(await count()).toBe(before);
  });
});
