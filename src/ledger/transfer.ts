import { type Kysely, sql } from 'kysely';
import { ambientTransaction, ensureStrataSchema, isStrataError, StrataError, withTransaction } from '../db/index.js';
import { TRANSFER_DURATION, TRANSFER_RETRIES, TRANSFERS } from './metrics.js';
import { insertEntries, insertTransfer, resolveSides, type Sides, type Trx } from './steps.js';
import { APPLY, type TransferStrategy, VersionConflict } from './strategies.js';
import type { TransferRequest, TransferResult } from './types.js';
import { checkTransfer } from './validate.js';

export interface TransferOptions {
  /** Default `function` (one round trip). See docs/ledger.md for when to choose another. */
  readonly strategy?: TransferStrategy;
  /**
   * The principal acting: the debit account must be theirs (else LEDGER_ACCOUNT_NOT_FOUND, nothing
   * written). Unset: the application itself, which may debit any account.
   */
  readonly ownerId?: string;
  /** Attempts in all, the first included, before LEDGER_CONTENTION. Default 10. */
  readonly maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. Default 2 ms. */
  readonly baseDelayMs?: number;
  /** Default 250 ms. */
  readonly maxDelayMs?: number;
  /** How long one attempt waits for an account's lock (`SET LOCAL lock_timeout`) before it is retried. Default 2 000 ms. */
  readonly lockTimeoutMs?: number;
}

interface Settings {
  readonly strategy: TransferStrategy;
  readonly ownerId: string | undefined;
  readonly lockTimeout: string;
}

// biome-ignore lint/suspicious/noExplicitAny: transfers run on any database's Kysely instance
type Db = Kysely<any>;

/** Why an attempt may be retried as a whole (the database rolled it back, or the connection is gone and the id makes a repeat safe). */
function retryReason(err: unknown): string | undefined {
  if (err instanceof VersionConflict) return 'version_conflict';
  if (!isStrataError(err)) return undefined;
  switch (err.code) {
    case 'DEADLOCK':
    case 'SERIALIZATION_FAILURE':
    case 'CONNECTION_LOST':
      return err.code.toLowerCase();
    case 'LOCK_TIMEOUT':
    case 'STATEMENT_TIMEOUT':
      return 'lock_timeout';
    default:
      return undefined;
  }
}

interface FunctionRow {
  owner_id: string;
  credit_owner_id: string;
  currency: string;
  created_at: Date;
  replayed: boolean;
}

async function viaFunction(db: Db, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  const { rows } = await sql<FunctionRow>`/* strata:op=ledger_transfer_function */
    SELECT * FROM strata.ledger_transfer(${request.id}::uuid, ${request.debitAccountId}::uuid, ${request.creditAccountId}::uuid, ${request.amount}::bigint,
      ${request.currency ?? null}::text, ${JSON.stringify(request.metadata ?? {})}::jsonb, ${settings.ownerId ?? null}::text, ${settings.lockTimeout}::text)`.execute(
    db,
  );
  const row = rows[0] as FunctionRow;
  return {
    id: request.id,
    ownerId: row.owner_id,
    debitAccountId: request.debitAccountId,
    creditAccountId: request.creditAccountId,
    creditOwnerId: row.credit_owner_id,
    amount: request.amount,
    currency: row.currency,
    metadata: request.metadata ?? {},
    createdAt: row.created_at,
    replayed: row.replayed,
  };
}

async function inTransaction(trx: Trx, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  const strategy = settings.strategy as Exclude<TransferStrategy, 'function'>;
  const sides: Sides = await resolveSides(trx, request, settings.ownerId, settings.lockTimeout);
  const inserted = await insertTransfer(trx, request, sides);
  if (!(inserted instanceof Date)) return inserted;
  const posted = await APPLY[strategy](trx, request, sides);
  await insertEntries(trx, request, sides, posted.debit, posted.credit);
  return {
    id: request.id,
    ownerId: sides.debit.ownerId,
    debitAccountId: request.debitAccountId,
    creditAccountId: request.creditAccountId,
    creditOwnerId: sides.credit.ownerId,
    amount: request.amount,
    currency: sides.debit.currency,
    metadata: request.metadata ?? {},
    createdAt: inserted,
    replayed: false,
  };
}

/** The transaction a call joins (the caller's, or the ambient one of an Idempotency-Key request), if any. */
function joinedTransaction(db: Db): Trx | undefined {
  return db.isTransaction ? (db as Trx) : ambientTransaction(db);
}

async function joined(trx: Trx, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  if (settings.strategy === 'function') return viaFunction(trx, request, settings);
  if (settings.strategy === 'serializable') {
    const { rows } = await sql<{ level: string }>`SELECT current_setting('transaction_isolation') AS level`.execute(trx);
    if (rows[0]?.level !== 'serializable') {
      throw new StrataError('LEDGER_INVALID_REQUEST', 'strategy serializable inside a caller’s transaction needs that transaction to be SERIALIZABLE');
    }
  }
  try {
    return await inTransaction(trx, request, settings);
  } catch (err) {
    if (err instanceof VersionConflict) throw new StrataError('LEDGER_CONTENTION', `${err.message}; inside a caller’s transaction the transfer cannot retry`);
    throw err;
  }
}

function attempt(db: Db, request: TransferRequest, settings: Settings): Promise<TransferResult> {
  if (settings.strategy === 'function') return viaFunction(db, request, settings);
  const isolation = settings.strategy === 'serializable' ? 'serializable' : undefined;
  return withTransaction(db, (trx) => inTransaction(trx, request, settings), { maxAttempts: 1, ...(isolation ? { isolation } : {}) });
}

function backoff(attempt: number, options: TransferOptions): Promise<void> {
  const ms = Math.random() * Math.min(options.maxDelayMs ?? 250, (options.baseDelayMs ?? 2) * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withRetries(db: Db, request: TransferRequest, settings: Settings, options: TransferOptions): Promise<TransferResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 10);
  for (let n = 1; ; n++) {
    try {
      return await attempt(db, request, settings);
    } catch (err) {
      const reason = retryReason(err);
      if (reason === undefined) throw err;
      if (n >= maxAttempts) {
        if (reason === 'connection_lost') throw err;
        throw new StrataError('LEDGER_CONTENTION', `transfer ${request.id} gave up after ${n} attempts (last: ${reason})`, { attempts: n }, { cause: err });
      }
      TRANSFER_RETRIES.record({ strategy: settings.strategy, reason }, 1);
      await backoff(n, options);
    }
  }
}

/**
 * Moves `amount` minor units from the debit account to the credit account: one transfer row and two
 * entries (debit, credit) that sum to zero, each recording its account's balance after it. Correct
 * under any concurrency with every strategy; deadlocks, serialization failures, lock timeouts and a
 * lost connection are retried inside with jittered backoff (the id makes a repeat safe), and when the
 * retries run out the caller gets LEDGER_CONTENTION. Repeating an id returns the original transfer
 * with `replayed: true`, also after an ambiguous commit; the same id with other parameters is
 * LEDGER_TRANSFER_CONFLICT. Inside a caller's transaction it joins it and does not retry.
 *
 * @example
 * const t = await transfer(db, { id: uuidv7(), debitAccountId: alice, creditAccountId: bob, amount: 1250n, currency: 'EUR' });
 * // t.replayed === false; calling again with the same id returns the same transfer with replayed === true
 */
export async function transfer<DB>(db: Kysely<DB>, request: TransferRequest, options: TransferOptions = {}): Promise<TransferResult> {
  const strategy = options.strategy ?? 'function';
  const started = performance.now();
  try {
    const checked = checkTransfer(request);
    if (!APPLY[strategy as Exclude<TransferStrategy, 'function'>] && strategy !== 'function') {
      throw new StrataError('LEDGER_INVALID_REQUEST', `unknown transfer strategy ${String(strategy)}`);
    }
    await ensureStrataSchema(db);
    const settings: Settings = { strategy, ownerId: options.ownerId, lockTimeout: `${Math.max(1, Math.trunc(options.lockTimeoutMs ?? 2000))}ms` };
    const trx = joinedTransaction(db as Db);
    const result = trx ? await joined(trx, checked, settings) : await withRetries(db as Db, checked, settings, options);
    TRANSFERS.record({ strategy, outcome: result.replayed ? 'replayed' : 'created' }, 1);
    return result;
  } catch (err) {
    TRANSFERS.record({ strategy, outcome: isStrataError(err) ? err.code.toLowerCase() : 'error' }, 1);
    throw err;
  } finally {
    TRANSFER_DURATION.record({ strategy }, (performance.now() - started) / 1000);
  }
}
