import type { Kysely } from 'kysely';
import { ambientTransaction, isStrataError, StrataError } from '../db/index.js';
import { TRANSFER_RETRIES } from './metrics.js';
import type { Trx } from './steps.js';
import { VersionConflict } from './strategies.js';

export interface RetryOptions {
  /** Attempts in all, the first included, before LEDGER_CONTENTION. Default 10. */
  readonly maxAttempts?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. Default 2 ms. */
  readonly baseDelayMs?: number;
  /** Default 250 ms. */
  readonly maxDelayMs?: number;
}

/**
 * Why an attempt may be retried as a whole: the database rolled it back, the connection is gone
 * and the id makes a repeat safe, or the server refused the connection the attempt needed
 * (TOO_MANY_CONNECTIONS: nothing was sent, so a repeat is always safe; a burst above the server's
 * max_connections usually passes within the backoff).
 */
function retryReason(err: unknown): string | undefined {
  if (err instanceof VersionConflict) return 'version_conflict';
  if (!isStrataError(err)) return undefined;
  switch (err.code) {
    case 'DEADLOCK':
    case 'SERIALIZATION_FAILURE':
    case 'CONNECTION_LOST':
    case 'TOO_MANY_CONNECTIONS':
      return err.code.toLowerCase();
    case 'LOCK_TIMEOUT':
    case 'STATEMENT_TIMEOUT':
      return 'lock_timeout';
    default:
      return undefined;
  }
}

function backoff(attempt: number, options: RetryOptions): Promise<void> {
  const ms = Math.random() * Math.min(options.maxDelayMs ?? 250, (options.baseDelayMs ?? 2) * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The transaction a call joins (the caller's, or the ambient one of an Idempotency-Key request), if any. */
export function joinedTransaction(db: Kysely<unknown>): Trx | undefined {
  return db.isTransaction ? (db as unknown as Trx) : (ambientTransaction(db) as Trx | undefined);
}

/**
 * Runs `fn` until it succeeds, retrying what the database rolled back (deadlock, serialization
 * failure, lock timeout, a version conflict), a lost connection and a connection the server refused
 * (TOO_MANY_CONNECTIONS), with jittered exponential backoff. When the attempts run out: the lost or
 * refused connection's own error (503, not a matter of contention on accounts), else LEDGER_CONTENTION.
 */
export async function withRetries<T>(strategy: string, what: string, options: RetryOptions, fn: () => Promise<T>): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 10);
  for (let n = 1; ; n++) {
    try {
      return await fn();
    } catch (err) {
      const reason = retryReason(err);
      if (reason === undefined) throw err;
      if (n >= maxAttempts) {
        if (reason === 'connection_lost' || reason === 'too_many_connections') throw err;
        throw new StrataError('LEDGER_CONTENTION', `${what} gave up after ${n} attempts (last: ${reason})`, { attempts: n }, { cause: err });
      }
      TRANSFER_RETRIES.record({ strategy, reason }, 1);
      await backoff(n, options);
    }
  }
}
