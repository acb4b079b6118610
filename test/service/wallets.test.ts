import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkLedger, createAccount, transferBatch } from '../../src/ledger/index.js';
import { createPrincipal, issueToken } from '../../src/principals/index.js';
import { useService } from '../support/service.js';

const svc = useService();

interface Caller {
  readonly id: string;
  readonly headers: Record<string, string>;
}

async function caller(name: string, scopes: string): Promise<Caller> {
  const { id } = await createPrincipal(svc.db, name);
  const { token } = await issueToken(svc.db, { principal: name, scopes });
  return { id, headers: { authorization: `Bearer ${token}` } };
}

/** Everything the ledger holds, to show a refused request wrote nothing. */
async function ledgerState(): Promise<unknown> {
  const { rows } =
    await sql`SELECT (SELECT count(*) FROM strata.ledger_transfers)::int AS transfers, (SELECT count(*) FROM strata.ledger_entries)::int AS entries,
    (SELECT count(*) FROM strata.ledger_accounts)::int AS accounts,
    (SELECT json_agg(json_build_object('id', id, 'balance', balance::text) ORDER BY id) FROM strata.ledger_accounts) AS balances`.execute(svc.db);
  return rows[0];
}

describe('wallet routes: accounts and transfers over HTTP, each principal held to its own accounts', () => {
  let alice: Caller;
  let bob: Caller;
  let carol: Caller;
  let aliceWallet: string;
  let bobWallet: string;
  const post = (who: Caller, url: string, payload: unknown, headers: Record<string, string> = {}) =>
    svc.request({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: { ...who.headers, ...headers } });
  const get = (who: Caller, url: string) => svc.request({ method: 'GET', url, headers: who.headers });

  beforeAll(async () => {
    alice = await caller('alice', 'wallet');
    bob = await caller('bob', 'wallet');
    carol = await caller('carol', 'wallet');
    const opened = await post(alice, '/accounts', { currency: 'EUR', metadata: { label: 'main' } });
    expect(opened.statusCode, opened.body).toBe(201);
    aliceWallet = opened.json().id;
    bobWallet = (await post(bob, '/accounts', { currency: 'EUR' })).json().id;
    // Money enters through the library (an operator's treasury account), never through POST /accounts.
    const treasury = await createAccount(svc.db, { ownerId: uuidv7(), currency: 'EUR', openingBalance: 1_000_000n });
    await transferBatch(svc.db, [{ id: uuidv7(), debitAccountId: treasury.id, creditAccountId: aliceWallet, amount: 10_000n }]);
  });

  it('POST /accounts opens an account owned by the caller; its owner reads it, nobody else does', async () => {
    const mine = await get(alice, `/accounts/${aliceWallet}`);
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ id: aliceWallet, owner_id: alice.id, currency: 'EUR', balance: 10_000, overdraft_limit: 0, entries: 1 });
    expect(mine.json()).not.toHaveProperty('opening_balance');
    for (const url of [`/accounts/${aliceWallet}`, `/accounts/${aliceWallet}/entries`]) {
      const theirs = await get(bob, url);
      expect(theirs.statusCode, url).toBe(404);
      expect(theirs.headers['content-type']).toContain('application/problem+json');
      expect(theirs.json().code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    }
  });

  it('POST /accounts refuses what would mint money or name another owner, writing nothing', async () => {
    const before = await ledgerState();
    for (const payload of [
      { currency: 'EUR', opening_balance: 100 },
      { currency: 'EUR', owner_id: bob.id },
      { currency: 'EUR', overdraft_limit: 1_000_000 },
      { currency: 'eur' },
    ]) {
      const res = await post(alice, '/accounts', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    // Bob's account id under Alice: a conflict, not a second account.
    const taken = await post(alice, '/accounts', { id: bobWallet, currency: 'EUR' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('LEDGER_ACCOUNT_CONFLICT');
    expect(await ledgerState()).toEqual(before);
  });

  it('POST /transfers moves money; the same id answers the original (200), an Idempotency-Key replays the response', async () => {
    const id = uuidv7();
    const body = { id, debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 250, currency: 'EUR', metadata: { order: 'A-1' } };
    const created = await post(alice, '/transfers', body);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ id, debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 250, currency: 'EUR' });
    expect(created.headers.location).toBe(`/transfers/${id}`);
    const again = await post(alice, '/transfers', body);
    expect([again.statusCode, again.body]).toEqual([200, created.body]);
    const conflict = await post(alice, '/transfers', { ...body, amount: 251 });
    expect([conflict.statusCode, conflict.json().code]).toEqual([409, 'LEDGER_TRANSFER_CONFLICT']);

    const key = { 'idempotency-key': `t-${uuidv7()}` };
    const first = await post(alice, '/transfers', { debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 5 }, key);
    expect(first.statusCode, first.body).toBe(201);
    const replay = await post(alice, '/transfers', { debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 5 }, key);
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.body]).toEqual([201, 'true', first.body]);
    expect((await get(bob, `/accounts/${bobWallet}`)).json().balance).toBe(255);
  });

  it("debiting another principal's account is 404 and writes nothing, with or without an Idempotency-Key", async () => {
    const before = await ledgerState();
    const theft = { debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 1 };
    for (const headers of [{}, { 'idempotency-key': `theft-${uuidv7()}` }]) {
      const res = await post(bob, '/transfers', theft, headers);
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().code).toBe('LEDGER_ACCOUNT_NOT_FOUND');
    }
    expect(await ledgerState()).toEqual(before);
  });

  it('refusals are problem+json with stable codes and write nothing: 422 funds, 422 currency, 404 unknown account, 400 bad input', async () => {
    const dollars = (await post(bob, '/accounts', { currency: 'USD' })).json().id as string;
    const before = await ledgerState();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 1_000_000_000 }, 422, 'LEDGER_INSUFFICIENT_FUNDS'],
      [{ debit_account_id: aliceWallet, credit_account_id: dollars, amount: 1 }, 422, 'LEDGER_CURRENCY_MISMATCH'],
      [{ debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 1, currency: 'USD' }, 422, 'LEDGER_CURRENCY_MISMATCH'],
      [{ debit_account_id: aliceWallet, credit_account_id: uuidv7(), amount: 1 }, 404, 'LEDGER_ACCOUNT_NOT_FOUND'],
      [{ debit_account_id: uuidv7(), credit_account_id: bobWallet, amount: 1 }, 404, 'LEDGER_ACCOUNT_NOT_FOUND'],
      [{ debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 0 }, 400, 'VALIDATION_FAILED'],
      [{ debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 1.5 }, 400, 'VALIDATION_FAILED'],
      [{ debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: '1' }, 400, 'VALIDATION_FAILED'],
      [{ debit_account_id: aliceWallet, credit_account_id: aliceWallet, amount: 1 }, 422, 'LEDGER_INVALID_REQUEST'],
      [{ debit_account_id: 'x', credit_account_id: bobWallet, amount: 1 }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post(alice, '/transfers', payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await ledgerState()).toEqual(before);
  });

  it('GET /accounts/:id/entries pages through every entry in order with next_cursor', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await post(alice, '/transfers', { debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 1 + i })).statusCode).toBe(201);
    }
    const seen: { seq: number; amount: number; balance_after: number }[] = [];
    let url = `/accounts/${aliceWallet}/entries?limit=2`;
    for (let pages = 0; pages < 20; pages++) {
      const page = await get(alice, url);
      expect(page.statusCode, page.body).toBe(200);
      const { items, next_cursor } = page.json() as { items: typeof seen; next_cursor: string | null };
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items);
      if (next_cursor === null) break;
      url = `/accounts/${aliceWallet}/entries?limit=2&cursor=${next_cursor}`;
    }
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1));
    const account = (await get(alice, `/accounts/${aliceWallet}`)).json();
    expect(seen.length).toBe(account.entries);
    expect(seen.at(-1)?.balance_after).toBe(account.balance);
    expect((await get(alice, `/accounts/${aliceWallet}/entries?cursor=abc`)).statusCode).toBe(400);
    expect((await get(alice, `/accounts/${aliceWallet}/entries?limit=0`)).statusCode).toBe(400);
  });

  it('GET /transfers/:id: the sender and the recipient read it, anyone else gets 404', async () => {
    const sent = (await post(alice, '/transfers', { debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 3 })).json();
    expect((await get(alice, `/transfers/${sent.id}`)).json()).toEqual(sent);
    expect((await get(bob, `/transfers/${sent.id}`)).json()).toEqual(sent);
    const other = await get(carol, `/transfers/${sent.id}`);
    expect([other.statusCode, other.json().code]).toEqual([404, 'LEDGER_TRANSFER_NOT_FOUND']);
    expect((await checkLedger(svc.db)).ok).toBe(true);
  });

  it('no token is 401, a token without the wallet scope 403, and neither writes anything', async () => {
    const reader = await caller('reader', 'catalog:read');
    const before = await ledgerState();
    const routes: [string, string, unknown][] = [
      ['POST', '/accounts', { currency: 'EUR' }],
      ['GET', `/accounts/${aliceWallet}`, undefined],
      ['GET', `/accounts/${aliceWallet}/entries`, undefined],
      ['POST', '/transfers', { debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 1 }],
      ['GET', `/transfers/${uuidv7()}`, undefined],
    ];
    for (const [method, url, payload] of routes) {
      const options = { method: method as 'GET' | 'POST', url, ...(payload ? { payload: payload as Record<string, unknown> } : {}) };
      const anonymous = await svc.app.inject(options);
      expect([anonymous.statusCode, anonymous.json().code], `${method} ${url}`).toEqual([401, 'AUTHENTICATION_REQUIRED']);
      const scoped = await svc.request({ ...options, headers: reader.headers });
      expect([scoped.statusCode, scoped.json().code], `${method} ${url}`).toEqual([403, 'SCOPE_REQUIRED']);
    }
    expect(await ledgerState()).toEqual(before);
  });

  it("admin reads every account but debits none of another's", async () => {
    const admin = await caller('root', 'admin,wallet');
    expect((await get(admin, `/accounts/${aliceWallet}`)).json()).toMatchObject({ id: aliceWallet, owner_id: alice.id });
    const before = await ledgerState();
    const res = await post(admin, '/transfers', { debit_account_id: aliceWallet, credit_account_id: bobWallet, amount: 1 });
    expect([res.statusCode, res.json().code]).toEqual([404, 'LEDGER_ACCOUNT_NOT_FOUND']);
    expect(await ledgerState()).toEqual(before);
  });

  it('POST /admin/accounts/:id/fund (scope admin) puts money into any account from the funding account; wallet scope is 403, nothing written', async () => {
    const carolWallet = (await post(carol, '/accounts', { currency: 'EUR' })).json().id;
    const before = await ledgerState();
    const refused = await post(carol, `/admin/accounts/${carolWallet}/fund`, { amount: 500 });
    expect([refused.statusCode, refused.json().code]).toEqual([403, 'SCOPE_REQUIRED']);
    expect(await ledgerState()).toEqual(before);
    const operator = await caller('operator', 'admin');
    const id = uuidv7();
    const funded = await post(operator, `/admin/accounts/${carolWallet}/fund`, { id, amount: 500, metadata: { reason: 'welcome' } });
    expect(funded.statusCode, funded.body).toBe(201);
    expect(funded.json()).toMatchObject({ id, credit_account_id: carolWallet, amount: 500, currency: 'EUR' });
    expect(funded.headers.location).toBe(`/transfers/${id}`);
    const again = await post(operator, `/admin/accounts/${carolWallet}/fund`, { id, amount: 500, metadata: { reason: 'welcome' } });
    expect(again.statusCode).toBe(200);
    const keyed = await post(operator, `/admin/accounts/${carolWallet}/fund`, { amount: 25 }, { 'idempotency-key': uuidv7() });
    expect(keyed.statusCode, keyed.body).toBe(201);
    expect((await get(carol, `/accounts/${carolWallet}`)).json()).toMatchObject({ balance: 525, entries: 2 });
    // The recipient reads the transfer; the money is carol's to spend.
    expect((await get(carol, `/transfers/${id}`)).statusCode).toBe(200);
    expect((await post(carol, '/transfers', { debit_account_id: carolWallet, credit_account_id: aliceWallet, amount: 525 })).statusCode).toBe(201);
    const afterFunding = await ledgerState();
    for (const [url, payload, status, code] of [
      [`/admin/accounts/${uuidv7()}/fund`, { amount: 5 }, 404, 'LEDGER_ACCOUNT_NOT_FOUND'],
      [`/admin/accounts/${carolWallet}/fund`, { id, amount: 7 }, 409, 'LEDGER_TRANSFER_CONFLICT'],
      [`/admin/accounts/${carolWallet}/fund`, { amount: 0 }, 400, 'VALIDATION_FAILED'],
    ] as const) {
      const res = await post(operator, url, payload);
      expect([res.statusCode, res.json().code], url).toEqual([status, code]);
    }
    expect(await ledgerState()).toEqual(afterFunding);
    expect((await checkLedger(svc.db)).violations).toEqual([]);
  });

  it('OpenAPI documents every wallet route with its problems', async () => {
    const doc = (await svc.request({ method: 'GET', url: '/openapi.json' })).json();
    for (const [path, method] of [
      ['/accounts', 'post'],
      ['/accounts/{id}', 'get'],
      ['/accounts/{id}/entries', 'get'],
      ['/transfers', 'post'],
      ['/transfers/{id}', 'get'],
      ['/admin/accounts/{id}/fund', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(Object.keys(doc.paths['/transfers'].post.responses)).toEqual(expect.arrayContaining(['200', '201', '404', '409', '422', '503']));
  });
});
