import type { IsolationLevel, Kysely, Transaction } from 'kysely';
import { ambientTransaction } from './ambient.js';
import type { Database } from './database.js';
import { isStrataError, type StrataErrorCode } from './errors.js';
import { defineCounter } from './metrics.js';

/** Only these failures are safe to retry: the database rolled the whole transaction back. */
const TX_RETRIES = defineCounter({
  name: 'strata_tx_retries_total',
  help: 'Transactions retried after a serialization failure or deadlock, by reason.',
  labelNames: ['reason'],
});

export const RETRYABLE_CODES: readonly StrataErrorCode[] = ['SERIALIZATION_FAILURE', 'DEADLOCK'];

export interface RetryInfo {
  readonly attempt: number;
  readonly code: StrataErrorCode;
  readonly delayMs: number;
}

export interface TransactionOptions {
  /** Default: the server's default (read committed on PostgreSQL, repeatable read on MariaDB). */
  readonly isolation?: IsolationLevel;
  readonly readOnly?: boolean;
  /** Total attempts including the first. Default 5. */
  readonly maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. Default 10 ms. */
  readonly baseDelayMs?: number;
  /** Default 1 000 ms. */
  readonly maxDelayMs?: number;
  /** Called before each retry (for metrics and logs). */
  readonly onRetry?: (info: RetryInfo) => void;
}

function backoff(attempt: number, base: number, max: number): number {
  return Math.floor(Math.random() * Math.min(max, base * 2 ** (attempt - 1)));
}

function kyselyOf<DB>(target: Kysely<DB> | Database<DB>): Kysely<DB> {
  return 'capabilities' in target ? target.db : target;
}

/**
 * Runs `fn` in one transaction. On a serialization failure or deadlock the whole transaction is
 * retried with jittered exponential backoff, up to `maxAttempts`; any other error rolls back and
 * is thrown at once. `fn` may run more than once, so keep side effects outside the database out of it.
 * Inside an existing transaction, `fn` simply joins it (no retry: only the outermost can retry);
 * so it does inside `runInTransaction` for the same database.
 *
 * @example
 * const balance = await withTransaction(database, async (trx) => {
 *   await trx.updateTable('accounts').set({ balance: 0n }).where('id', '=', id).execute();
 *   return 0n;
 * }, { isolation: 'serializable' });
 */
export async function withTransaction<DB, T>(
  target: Kysely<DB> | Database<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const db = kyselyOf(target);
  if (db.isTransaction) return fn(db as Transaction<DB>);
  const ambient = ambientTransaction(db);
  if (ambient) return fn(ambient);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    try {
      let builder = db.transaction();
      if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
      if (options.readOnly) builder = builder.setAccessMode('read only');
      return await builder.execute(fn);
    } catch (err) {
      const retryable = isStrataError(err) && RETRYABLE_CODES.includes(err.code);
      if (!retryable) throw err;
      if (attempt >= maxAttempts) throw err.withDetails({ attempts: attempt });
      const delayMs = backoff(attempt, options.baseDelayMs ?? 10, options.maxDelayMs ?? 1000);
      options.onRetry?.({ attempt, code: err.code, delayMs });
      TX_RETRIES.record({ reason: err.code.toLowerCase() }, 1);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
