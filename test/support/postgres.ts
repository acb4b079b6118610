import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { type Database, openPostgres, type PoolOptions, quoteIdent } from '../../src/db/index.js';

export interface TestDatabase {
  /** URL of this file's own database (through PgBouncer when the run has STRATA_TEST_PGBOUNCER=1). */
  readonly url: string;
  /** The same database on the server itself, never through a pooler (for session-level work). */
  readonly directUrl: string;
  /** An open strata Database on it (closed after the file). */
  readonly database: Database;
  /** A raw node-postgres client on the same database, like psql would be. */
  rawClient(): Promise<pg.Client>;
  /**
   * Runs `work` on a database of sessions of their own (what STRATA_DIRECT_URL gives the migration
   * runner): `database` itself, or, behind the run's PgBouncer, a pool on `directUrl` for the call.
   */
  withSession<T>(work: (database: Database) => Promise<T>): Promise<T>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('postgresAdminUrl') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Gives the calling test file its own PostgreSQL database, so files run in parallel.
 * Use inside a describe or at file top level; access the handle after `beforeAll` ran.
 */
export function usePostgres(pool: Partial<PoolOptions> = {}): TestDatabase {
  const name = `strata_t_${randomBytes(6).toString('hex')}`;
  const directUrl = withDatabase(inject('postgresAdminUrl'), name);
  const pooler = inject('postgresPoolerUrl');
  const url = pooler ? withDatabase(pooler, name) : directUrl;
  const clients: pg.Client[] = [];
  let database: Database | undefined;
  beforeAll(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
    database = await openPostgres(url, { max: 10, ...pool });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await database?.close();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  });
  return {
    url,
    directUrl,
    get database(): Database {
      if (!database) throw new Error('usePostgres: the database is ready only inside tests and hooks');
      return database;
    },
    async withSession(work) {
      if (url === directUrl) return work(this.database);
      const direct = await openPostgres(directUrl, { max: 2 });
      try {
        return await work(direct);
      } finally {
        await direct.close();
      }
    },
    async rawClient() {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
  };
}
