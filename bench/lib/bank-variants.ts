import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { StrataError, withTransaction } from '../../src/db/index.js';
import { TRANSFER_STRATEGIES, type TransferRequest, type TransferStrategy, transfer, transferBatch } from '../../src/ledger/index.js';

/**
 * What the bank test runs: a ledger strategy, `transferBatch`, the negative control (`naive`: read,
 * then write, without a transaction), or one of the deliberately broken variants the harness must
 * catch (its self-test).
 */
export type BankVariant = TransferStrategy | 'batch' | 'naive' | BrokenVariant;

export type BrokenVariant = 'broken:no-lock-order' | 'broken:rmw-no-lock' | 'broken:no-idempotency' | 'broken:credit-missing';

export const BROKEN_VARIANTS: readonly BrokenVariant[] = ['broken:no-lock-order', 'broken:rmw-no-lock', 'broken:no-idempotency', 'broken:credit-missing'];

/** Sends a group of requests (one, or a batch) and resolves when the database answered. */
export type Send = (requests: readonly TransferRequest[]) => Promise<void>;

// biome-ignore lint/suspicious/noExplicitAny: the variants write the ledger's tables with raw SQL
type Db = Kysely<any>;

interface Row {
  id: string;
  owner_id: string;
  balance: bigint;
  version: bigint;
}

const A = sql.raw('strata.ledger_accounts');
const T = sql.raw('strata.ledger_transfers');
const E = sql.raw('strata.ledger_entries');

async function read(db: Db, r: TransferRequest): Promise<{ d: Row | undefined; c: Row | undefined }> {
  const { rows } = await sql<Row>`SELECT id, owner_id, balance, version FROM ${A} WHERE id IN (${r.debitAccountId}, ${r.creditAccountId})`.execute(db);
  return { d: rows.find((x) => x.id === r.debitAccountId), c: rows.find((x) => x.id === r.creditAccountId) };
}

function refuse(code: 'LEDGER_ACCOUNT_NOT_FOUND' | 'LEDGER_INSUFFICIENT_FUNDS'): never {
  throw new StrataError(code, code === 'LEDGER_ACCOUNT_NOT_FOUND' ? 'account not found' : 'insufficient funds');
}

async function insertTransfer(db: Db, id: string, r: TransferRequest, d: Row, creditOwner: string): Promise<void> {
  await sql`INSERT INTO ${T} (owner_id, id, debit_account_id, credit_account_id, credit_owner_id, amount, currency)
    VALUES (${d.owner_id}, ${id}, ${r.debitAccountId}, ${r.creditAccountId}, ${creditOwner}, ${r.amount}, 'EUR')`.execute(db);
}

async function insertEntry(db: Db, owner: string, account: string, seq: bigint, towner: string, id: string, amount: bigint, balance: bigint): Promise<void> {
  await sql`INSERT INTO ${E} (owner_id, account_id, seq, transfer_owner_id, transfer_id, amount, balance_after)
    VALUES (${owner}, ${account}, ${seq}, ${towner}, ${id}, ${amount}, ${balance})`.execute(db);
}

/** The negative control: each statement on its own (no transaction), balances written as read plus the amount. */
async function naive(db: Db, r: TransferRequest): Promise<void> {
  const { d, c } = await read(db, r);
  if (!d || !c) refuse('LEDGER_ACCOUNT_NOT_FOUND');
  if (d.balance < r.amount) refuse('LEDGER_INSUFFICIENT_FUNDS');
  await sql`UPDATE ${A} SET balance = ${d.balance - r.amount}, version = ${d.version + 1n} WHERE id = ${d.id}`.execute(db);
  await sql`UPDATE ${A} SET balance = ${c.balance + r.amount}, version = ${c.version + 1n} WHERE id = ${c.id}`.execute(db);
  await insertTransfer(db, r.id, r, d, c.owner_id);
  await insertEntry(db, d.owner_id, d.id, d.version + 1n, d.owner_id, r.id, -r.amount, d.balance - r.amount);
  await insertEntry(db, c.owner_id, c.id, c.version + 1n, d.owner_id, r.id, r.amount, c.balance + r.amount);
}

/** Broken: guarded updates in a transaction, but debit first, credit second (no global order): deadlocks, not retried. */
async function noLockOrder(db: Db, r: TransferRequest): Promise<void> {
  await withTransaction(
    db,
    async (trx) => {
      const { d, c } = await read(trx, r);
      if (!d || !c) refuse('LEDGER_ACCOUNT_NOT_FOUND');
      await insertTransfer(trx, r.id, r, d, c.owner_id);
      const debited = await sql<Row>`UPDATE ${A} SET balance = balance - ${r.amount}, version = version + 1 WHERE id = ${d.id} AND balance >= ${r.amount}
        RETURNING id, owner_id, balance, version`.execute(trx);
      const dd = debited.rows[0] ?? refuse('LEDGER_INSUFFICIENT_FUNDS');
      const credited =
        await sql<Row>`UPDATE ${A} SET balance = balance + ${r.amount}, version = version + 1 WHERE id = ${c.id} RETURNING id, owner_id, balance, version`.execute(
          trx,
        );
      const cc = credited.rows[0] as Row;
      await insertEntry(trx, dd.owner_id, dd.id, dd.version, d.owner_id, r.id, -r.amount, dd.balance);
      await insertEntry(trx, cc.owner_id, cc.id, cc.version, d.owner_id, r.id, r.amount, cc.balance);
    },
    { maxAttempts: 1 },
  );
}

/** Broken: read, then write the balance computed from the read, in a transaction but without a lock (lost updates). */
async function rmwNoLock(db: Db, r: TransferRequest): Promise<void> {
  await withTransaction(
    db,
    async (trx) => {
      const { d, c } = await read(trx, r);
      if (!d || !c) refuse('LEDGER_ACCOUNT_NOT_FOUND');
      if (d.balance < r.amount) refuse('LEDGER_INSUFFICIENT_FUNDS');
      await insertTransfer(trx, r.id, r, d, c.owner_id);
      const ordered = d.id < c.id ? [d, c] : [c, d];
      for (const x of ordered) {
        const next = x === d ? d.balance - r.amount : c.balance + r.amount;
        const { rows } = await sql<{ version: bigint }>`UPDATE ${A} SET balance = ${next}, version = version + 1 WHERE id = ${x.id} RETURNING version`.execute(
          trx,
        );
        await insertEntry(trx, x.owner_id, x.id, (rows[0] as { version: bigint }).version, d.owner_id, r.id, x === d ? -r.amount : r.amount, next);
      }
    },
    { maxAttempts: 1 },
  );
}

/** Broken: the ledger's `conditional` steps, but every send is a new transfer (the caller's id is ignored). */
async function noIdempotency(db: Db, r: TransferRequest): Promise<void> {
  await transfer(db, { ...r, id: uuidv7(), metadata: { request: r.id } }, { strategy: 'conditional' });
}

/** Broken: the credit account is never looked up; a missing one is credited nowhere and the debit stays. */
async function creditMissing(db: Db, r: TransferRequest): Promise<void> {
  await withTransaction(
    db,
    async (trx) => {
      const { d, c } = await read(trx, r);
      if (!d) refuse('LEDGER_ACCOUNT_NOT_FOUND');
      await insertTransfer(trx, r.id, r, d, c?.owner_id ?? d.owner_id);
      const debited = await sql<Row>`UPDATE ${A} SET balance = balance - ${r.amount}, version = version + 1 WHERE id = ${d.id} AND balance >= ${r.amount}
        RETURNING id, owner_id, balance, version`.execute(trx);
      const dd = debited.rows[0] ?? refuse('LEDGER_INSUFFICIENT_FUNDS');
      await insertEntry(trx, dd.owner_id, dd.id, dd.version, d.owner_id, r.id, -r.amount, dd.balance);
      const credited = await sql<Row>`UPDATE ${A} SET balance = balance + ${r.amount}, version = version + 1 WHERE id = ${r.creditAccountId}
        RETURNING id, owner_id, balance, version`.execute(trx);
      const cc = credited.rows[0];
      if (cc) await insertEntry(trx, cc.owner_id, cc.id, cc.version, d.owner_id, r.id, r.amount, cc.balance);
    },
    { maxAttempts: 1 },
  );
}

const SINGLE: Readonly<Record<'naive' | BrokenVariant, (db: Db, r: TransferRequest) => Promise<void>>> = {
  naive,
  'broken:no-lock-order': noLockOrder,
  'broken:rmw-no-lock': rmwNoLock,
  'broken:no-idempotency': noIdempotency,
  'broken:credit-missing': creditMissing,
};

/** How `variant` sends: one request at a time, except `batch`. */
export function sender(db: Db, variant: BankVariant): Send {
  if (variant === 'batch') return async (requests) => void (await transferBatch(db, requests));
  if ((TRANSFER_STRATEGIES as readonly string[]).includes(variant)) {
    const strategy = variant as TransferStrategy;
    return async ([r]) => void (await transfer(db, r as TransferRequest, { strategy }));
  }
  const send = SINGLE[variant as 'naive' | BrokenVariant];
  return ([r]) => send(db, r as TransferRequest);
}
