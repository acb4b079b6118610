import type { StrataError } from './errors.js';

/** One executed statement, as observers see it. Parameters are for EXPLAIN only: never log them. */
export interface QueryEvent {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly durationMs: number;
  readonly error?: StrataError;
}

/** Called after every statement (keep it cheap: it sits on the hot path). */
export type QueryObserver = (event: QueryEvent) => void;

export interface RetryEvent {
  readonly code: string;
  readonly attempt: number;
}

const retryListeners = new Set<(event: RetryEvent) => void>();

/**
 * Subscribes to every transaction retry made by `withTransaction` (for metrics). Returns an
 * unsubscribe function.
 *
 * @example
 * const off = onTransactionRetry(({ code }) => retries.inc({ reason: code }));
 */
export function onTransactionRetry(listener: (event: RetryEvent) => void): () => void {
  retryListeners.add(listener);
  return () => retryListeners.delete(listener);
}

export function emitRetry(event: RetryEvent): void {
  for (const listener of retryListeners) listener(event);
}

const rowListeners = new Set<(event: { table: string; rows: number }) => void>();

/**
 * Subscribes to rows committed by bulk loads (for `strata_bulk_rows_total`). Returns an unsubscribe function.
 *
 * @example
 * const off = onBulkRows(({ table, rows }) => counter.inc({ table }, rows));
 */
export function onBulkRows(listener: (event: { table: string; rows: number }) => void): () => void {
  rowListeners.add(listener);
  return () => rowListeners.delete(listener);
}

export function emitBulkRows(event: { table: string; rows: number }): void {
  for (const listener of rowListeners) listener(event);
}
