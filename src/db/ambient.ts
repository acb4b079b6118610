import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';

interface Ambient {
  readonly root: object;
  readonly trx: Transaction<unknown>;
}

const storage = new AsyncLocalStorage<Ambient>();

/**
 * Runs `fn` with `trx` as the ambient transaction of `root`: every `withTransaction(root, ...)`
 * inside joins it instead of opening its own. The idempotency hook uses this so a request's
 * effect and its stored response commit together.
 *
 * @example
 * await withTransaction(db, (trx) => runInTransaction(db, trx, () => handler()));
 */
export function runInTransaction<DB, T>(root: Kysely<DB>, trx: Transaction<DB>, fn: () => Promise<T>): Promise<T> {
  return storage.run({ root, trx: trx as unknown as Transaction<unknown> }, fn);
}

/** The ambient transaction for `root`, if code runs inside `runInTransaction` for it. */
export function ambientTransaction<DB>(root: Kysely<DB>): Transaction<DB> | undefined {
  const store = storage.getStore();
  return store && store.root === root ? (store.trx as unknown as Transaction<DB>) : undefined;
}
