import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';

/**
 * Runs `work` against the configured database (DATABASE_URL or the embedded server), then closes it.
 * With `session`, on STRATA_DIRECT_URL's server when set (work a transaction-mode pooler cannot carry).
 */
export async function withDb(work: (db: Kysely<unknown>) => Promise<void>, options: { readonly session?: boolean } = {}): Promise<void> {
  const { connect } = await import('../db/index.js');
  const conn = await connect();
  try {
    if (options.session) await conn.withSession((database) => work(database.db));
    else await work(conn.database.db);
  } finally {
    await conn.close();
  }
}

/** Like `withDb`, with the whole Database handle (engine, pool) for capabilities that need more than Kysely. */
export async function withDatabase(work: (database: Database) => Promise<void>): Promise<void> {
  const { connect } = await import('../db/index.js');
  const conn = await connect();
  try {
    await work(conn.database);
  } finally {
    await conn.close();
  }
}
