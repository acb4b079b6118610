import type { Kysely } from 'kysely';
import type pg from 'pg';
import { StrataError } from './errors.js';

/** Per pool (a Kysely instance and its transactions share an adapter): whether a pooler sits in front of the server. */
const pooled = new WeakMap<object, boolean>();

/**
 * Whether the connections of `pool` reach PostgreSQL through a pooler (PgBouncer, in any mode):
 * a pooler answers the connection with a cancel key of its own, so the backend pid the client was
 * given differs from the one the server reports. Costs one query on one connection.
 */
export async function detectPooler(pool: pg.Pool): Promise<boolean> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const given = (client as unknown as { processID: number | null }).processID;
    return rows[0]?.pid !== given;
  } finally {
    client.release();
  }
}

export function rememberPooler<DB>(db: Kysely<DB>, behind: boolean): void {
  pooled.set(db.getExecutor().adapter, behind);
}

/**
 * Whether `db` (or the database a transaction of it belongs to) was found behind a pooler when it
 * was opened: there, session state (a session advisory lock, `SET`, `LISTEN`) does not survive from
 * one transaction to the next, and may reach another client. False for a Kysely strata did not open.
 *
 * @example
 * if (behindPooler(db)) throw sessionRequired('the migration runner');
 */
export function behindPooler<DB>(db: Kysely<DB>): boolean {
  return pooled.get(db.getExecutor().adapter) ?? false;
}

/**
 * The error for work that needs one database session of its own, refused through a pooler: it names
 * `STRATA_DIRECT_URL`, the setting that gives strata the server's own address for such work.
 *
 * @example
 * throw sessionRequired('the migration runner (its lock and concurrent index builds)');
 */
export function sessionRequired(what: string): StrataError {
  return new StrataError(
    'SESSION_REQUIRED',
    `${what} needs a database session of its own, and this connection goes through a pooler (PgBouncer), which does not keep one: set STRATA_DIRECT_URL to the PostgreSQL server's own address (not the pooler's)`,
  );
}
