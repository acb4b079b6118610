import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkLedger, createAccount, getAccount, listEntries, type TransferRequest, transfer, transferBatch } from '../../src/ledger/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 20 });

describe('transferBatch', () => {
  let db: Kysely<unknown>;
  let treasury: string;
  let wallets: string[];
  beforeAll(async () => {
    db = pg.database.db;
    treasury = (await createAccount(db, { ownerId: uuidv7(), currency: 'EUR', openingBalance: 10_000n })).id;
    wallets = [];
    for (let i = 0; i < 4; i++) wallets.push((await createAccount(db, { ownerId: uuidv7(), currency: 'EUR' })).id);
  });

  const pay = (to: string, amount: bigint, from = treasury): TransferRequest => ({ id: uuidv7(), debitAccountId: from, creditAccountId: to, amount });

  it('applies every transfer in order, in one transaction: a later one may spend what an earlier one credited', async () => {
    const [a, b] = wallets as [string, string];
    const batch = [pay(a, 100n), pay(b, 60n, a), pay(treasury, 60n, b)];
    const results = await transferBatch(db, batch);
    expect(results.map((r) => [r.id, r.replayed])).toEqual(batch.map((r) => [r.id, false]));
    expect((await getAccount(db, a)).balance).toBe(40n);
    expect((await getAccount(db, b)).balance).toBe(0n);
    expect((await listEntries(db, b)).entries.map((e) => [e.seq, e.amount, e.balanceAfter])).toEqual([
      [1n, 60n, 60n],
      [2n, -60n, 0n],
    ]);
    // One statement: all of it carries the transaction's time.
    expect(new Set(results.map((r) => r.createdAt.getTime())).size).toBe(1);
    expect((await checkLedger(db)).violations).toEqual([]);
  });

  it('all or nothing: one refusal rolls the whole batch back and names its transfer', async () => {
    const [a, c] = wallets as [string, string, string];
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_entries`.execute(db);
    const good = pay(c, 10n);
    const bad = pay(c, 1_000_000n, a);
    const err = await caught(() => transferBatch(db, [good, bad]));
    expect(err.code).toBe('LEDGER_INSUFFICIENT_FUNDS');
    expect(err.message).toContain(bad.id);
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_entries`.execute(db);
    expect(after.rows).toEqual(before.rows);
    for (const [bad2, code] of [
      [{ ...pay(c, 1n), creditAccountId: uuidv7() }, 'LEDGER_ACCOUNT_NOT_FOUND'],
      [{ ...pay(c, 1n), currency: 'USD' }, 'LEDGER_CURRENCY_MISMATCH'],
      [{ ...pay(c, 1n), amount: -1n }, 'LEDGER_INVALID_REQUEST'],
    ] as const) {
      expect((await caught(() => transferBatch(db, [pay(c, 1n), bad2]))).code).toBe(code);
    }
    expect((await caught(() => transferBatch(db, [good, good]))).code).toBe('LEDGER_INVALID_REQUEST');
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.ledger_entries`.execute(db)).rows).toEqual(before.rows);
  });

  it('ids already applied (by a batch or a single transfer) are replays; other parameters under such an id fail the batch', async () => {
    const [a, b] = wallets as [string, string];
    const single = pay(a, 5n);
    await transfer(db, single);
    const fresh = pay(b, 5n);
    const before = (await getAccount(db, treasury)).balance;
    const results = await transferBatch(db, [single, fresh]);
    expect(results.map((r) => r.replayed)).toEqual([true, false]);
    expect((await getAccount(db, treasury)).balance).toBe(before - 5n);
    const again = await transferBatch(db, [fresh, single]);
    expect(again.map((r) => r.replayed)).toEqual([true, true]);
    expect(again[0]?.createdAt).toEqual(results[1]?.createdAt);
    expect((await caught(() => transferBatch(db, [{ ...fresh, amount: 6n }]))).code).toBe('LEDGER_TRANSFER_CONFLICT');
    expect((await getAccount(db, treasury)).balance).toBe(before - 5n);
  });

  it('16 connections send overlapping batches in both directions at once (each id sent twice): no deadlock, each id applied once', async () => {
    const accounts = [treasury, ...wallets];
    const requests: TransferRequest[] = [];
    for (let i = 0; i < 16 * 20; i++) {
      const from = accounts[i % accounts.length] as string;
      const to = accounts[(i * 7 + 1) % accounts.length] as string;
      if (from !== to) requests.push(pay(to, 1n, from));
    }
    const batches: TransferRequest[][] = [];
    for (let i = 0; i < requests.length; i += 10) batches.push(requests.slice(i, i + 10));
    const sent = [...batches, ...batches.map((b) => [...b].reverse())];
    const before = await checkLedger(db);
    const outcomes = await Promise.allSettled(sent.map((b) => transferBatch(db, b, { maxAttempts: 1 })));
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as { code?: string });
    // Batches are all or nothing and may run short of funds; nothing else may fail, not even once (maxAttempts 1).
    expect(refused.filter((e) => e.code !== 'LEDGER_INSUFFICIENT_FUNDS')).toEqual([]);
    const created = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value.filter((r) => !r.replayed).map((r) => r.id) : []));
    expect(new Set(created).size).toBe(created.length);
    const report = await checkLedger(db);
    expect(report.violations).toEqual([]);
    expect(report.transfers - before.transfers).toBe(created.length);
  });
});
