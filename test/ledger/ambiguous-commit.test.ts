import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openPostgres } from '../../src/db/index.js';
import { createAccount, getAccount, TRANSFER_STRATEGIES, transfer } from '../../src/ledger/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';
import { type LossyProxy, startLossyProxy } from '../support/tcp-proxy.js';

const pg = usePostgres();

describe.each(TRANSFER_STRATEGIES)('strategy %s: the connection is lost at COMMIT, after the server committed', (strategy) => {
  let proxy: LossyProxy;
  let through: Database;
  let db: Kysely<unknown>;
  let from: string;
  let to: string;
  // The function strategy commits in the statement that calls it (autocommit; a named prepared statement: its Parse carries the text, each Bind the name strata_ledger_transfer_function); the others at COMMIT.
  const commit = strategy === 'function' ? /ledger_transfer/ : /^Q[\s\S]{4}commit\0/i;
  beforeAll(async () => {
    db = pg.database.db;
    proxy = await startLossyProxy(pg.url);
    through = await openPostgres(proxy.url, { max: 2 });
    from = (await createAccount(db, { ownerId: uuidv7(), currency: 'EUR', openingBalance: 1000n })).id;
    to = (await createAccount(db, { ownerId: uuidv7(), currency: 'EUR' })).id;
  });
  afterAll(async () => {
    await through?.close();
    await proxy?.close();
  });

  it('a caller that retries with the same id gets the original transfer, applied once', async () => {
    const request = { id: uuidv7(), debitAccountId: from, creditAccountId: to, amount: 100n };
    const before = (await getAccount(db, from)).balance;
    proxy.loseNextReplyTo(commit);
    const lost = proxy.lost;
    const err = await caught(() => transfer(through.db, request, { strategy, maxAttempts: 1 }));
    expect(err.code).toBe('CONNECTION_LOST');
    expect(proxy.lost).toBe(lost + 1);
    expect((await getAccount(db, from)).balance).toBe(before - 100n);
    const again = await transfer(through.db, request, { strategy });
    expect(again).toMatchObject({ id: request.id, amount: 100n, replayed: true });
    expect((await getAccount(db, from)).balance).toBe(before - 100n);
  });

  it('with retries left, the transfer resolves the ambiguity itself and answers the original', async () => {
    const request = { id: uuidv7(), debitAccountId: from, creditAccountId: to, amount: 7n };
    const before = (await getAccount(db, from)).balance;
    proxy.loseNextReplyTo(commit);
    const lost = proxy.lost;
    const result = await transfer(through.db, request, { strategy });
    expect(proxy.lost).toBe(lost + 1);
    expect(result).toMatchObject({ id: request.id, amount: 7n, replayed: true });
    expect((await getAccount(db, from)).balance).toBe(before - 7n);
    expect((await getAccount(db, to)).balance).toBeGreaterThanOrEqual(7n);
  });
});
