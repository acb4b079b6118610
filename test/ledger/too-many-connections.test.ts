import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openPostgres } from '../../src/db/index.js';
import { createAccount, getAccount, transfer, transferBatch } from '../../src/ledger/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';
import { type LossyProxy, startLossyProxy } from '../support/tcp-proxy.js';

const pg = usePostgres();

describe('the server refuses connections (TOO_MANY_CONNECTIONS, SQLSTATE 53300)', () => {
  let proxy: LossyProxy;
  let through: Database;
  let from: string;
  let to: string;
  /** Until the pool's idle connection is gone, so the next call must connect. */
  const drained = async () => {
    while (through.poolStats().total > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  beforeAll(async () => {
    proxy = await startLossyProxy(pg.url);
    through = await openPostgres(proxy.url, { max: 1, idleTimeoutMs: 1 });
    from = (await createAccount(pg.database.db, { ownerId: uuidv7(), currency: 'EUR', openingBalance: 1000n })).id;
    to = (await createAccount(pg.database.db, { ownerId: uuidv7(), currency: 'EUR' })).id;
    // The schema check of the first call on this pool runs before any attempt: done here, with connections granted.
    await transfer(through.db, { id: uuidv7(), debitAccountId: from, creditAccountId: to, amount: 1n });
  });
  afterAll(async () => {
    await through?.close();
    await proxy?.close();
  });

  it.each(['function', 'conditional'] as const)('%s: a refused connection is retried with backoff, and the transfer applies once', async (strategy) => {
    await drained();
    const before = (await getAccount(pg.database.db, from)).balance;
    const refused = proxy.refused;
    proxy.refuseNextConnections(2);
    const result = await transfer(through.db, { id: uuidv7(), debitAccountId: from, creditAccountId: to, amount: 10n }, { strategy });
    expect(proxy.refused).toBe(refused + 2);
    expect(result.replayed).toBe(false);
    expect((await getAccount(pg.database.db, from)).balance).toBe(before - 10n);
  });

  it('transferBatch retries it too', async () => {
    await drained();
    const refused = proxy.refused;
    proxy.refuseNextConnections(1);
    const results = await transferBatch(through.db, [{ id: uuidv7(), debitAccountId: from, creditAccountId: to, amount: 1n }]);
    expect(proxy.refused).toBe(refused + 1);
    expect(results).toHaveLength(1);
  });

  it('when the retries run out the caller gets TOO_MANY_CONNECTIONS (503), not a contention error, and nothing is applied', async () => {
    await drained();
    const before = (await getAccount(pg.database.db, from)).balance;
    const refused = proxy.refused;
    proxy.refuseNextConnections(100);
    const err = await caught(() => transfer(through.db, { id: uuidv7(), debitAccountId: from, creditAccountId: to, amount: 10n }, { maxAttempts: 3 }));
    proxy.refuseNextConnections(0);
    expect(err.code).toBe('TOO_MANY_CONNECTIONS');
    expect(proxy.refused).toBe(refused + 3);
    expect((await getAccount(pg.database.db, from)).balance).toBe(before);
  });
});
