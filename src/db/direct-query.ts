import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { QueryObserver } from './observer.js';
import type { ErrorTranslator } from './translating-dialect.js';

/**
 * One statement on one of the pool's connections, without Kysely's query pipeline: for a
 * capability's single hot statement (the ledger's function call), where that pipeline is a third of
 * the client's CPU per call. Errors are translated and the statement observed as through Kysely;
 * the pool's connection wrappers (statement timeout, named prepared statements) apply.
 */
export type DirectQuery = <R>(text: string, values: readonly unknown[]) => Promise<R[]>;

const direct = new WeakMap<object, DirectQuery>();

/** `db`'s direct query, if strata opened it on PostgreSQL (a transaction of it shares the adapter: callers check they are not in one). */
export function directQuery<DB>(db: Kysely<DB>): DirectQuery | undefined {
  return direct.get(db.getExecutor().adapter);
}

/** Registers the direct query of a Kysely instance strata opened over `pool`. */
export function rememberDirectQuery<DB>(db: Kysely<DB>, pool: pg.Pool, translate: ErrorTranslator, observer: QueryObserver | undefined): void {
  const query: DirectQuery = async <R>(text: string, values: readonly unknown[]) => {
    const started = observer ? performance.now() : 0;
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw await translate(err, 'connect');
    }
    try {
      const result = await client.query(text, values as unknown[]);
      client.release();
      observer?.({ sql: text, parameters: values, durationMs: performance.now() - started });
      return result.rows as R[];
    } catch (err) {
      const error = await translate(err, 'query');
      client.release(error.code === 'CONNECTION_LOST' ? (err as Error) : undefined);
      observer?.({ sql: text, parameters: values, durationMs: performance.now() - started, error });
      throw error;
    }
  };
  direct.set(db.getExecutor().adapter, query);
}
