import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import type { DialectCapabilities, Engine } from './capabilities.js';
import { StrataError } from './errors.js';

/** Connection counts of a pool at one instant. */
export interface PoolStats {
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/** Named connection states, in the manner of postgres.js. */
export type DatabaseState = 'open' | 'closing' | 'closed';

/**
 * One connected database: a Kysely instance over a pool, what the engine can do, and its lifecycle.
 * Every query error surfaces as a StrataError.
 *
 * @example
 * const database = await openDatabase(process.env.DATABASE_URL!);
 * const rows = await database.db.selectFrom('products').selectAll().execute();
 * await database.close();
 */
export interface Database<DB = unknown> {
  readonly engine: Engine;
  readonly db: Kysely<DB>;
  readonly capabilities: DialectCapabilities;
  /** True when a pooler (PgBouncer) sits between strata and the server: no session state survives a transaction (see `behindPooler`). */
  readonly pooled: boolean;
  readonly state: DatabaseState;
  poolStats(): PoolStats;
  /** Runs `SELECT 1`; rejects with a StrataError when the database does not answer within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** Waits for checked-out connections to return, then closes the pool. Safe to call twice. */
  close(): Promise<void>;
  /** PostgreSQL only: a raw node-postgres client from the pool (for COPY); release it when done. */
  connectRaw?(): Promise<pg.PoolClient>;
}

/** The parts an engine module provides; `databaseHandle` adds state, ping and close. */
export interface DatabaseParts<DB> {
  readonly engine: Engine;
  readonly db: Kysely<DB>;
  readonly capabilities: DialectCapabilities;
  readonly pooled: boolean;
  poolStats(): PoolStats;
  connectRaw?(): Promise<pg.PoolClient>;
}

export function databaseHandle<DB>(parts: DatabaseParts<DB>): Database<DB> {
  let state: DatabaseState = 'open';
  let closing: Promise<void> | undefined;
  return {
    ...parts,
    get state() {
      return state;
    },
    ping: (timeoutMs = 2000) => ping(parts.db, timeoutMs),
    close: () => {
      if (!closing) {
        state = 'closing';
        closing = parts.db.destroy().then(() => {
          state = 'closed';
        });
      }
      return closing;
    },
  };
}

async function ping<DB>(db: Kysely<DB>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StrataError('CONNECTION_FAILED', `the database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([sql`SELECT 1`.execute(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
