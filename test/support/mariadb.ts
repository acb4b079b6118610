import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { type Database, openMariaDb, type PoolOptions, quoteIdent } from '../../src/db/index.js';

export interface TestMariaDb {
  readonly url: string;
  readonly database: Database;
}

/** `describe` for MariaDB tests: skipped, with a visible message, when MARIADB_URL is unset. */
export function describeMariaDb(name: string, body: (handle: TestMariaDb) => void): void {
  const base = inject('mariadbUrl');
  if (!base) {
    describe.skip(`${name} (SKIPPED: MARIADB_URL is not set)`, () => undefined);
    return;
  }
  describe(name, () => body(useMariaDb(base)));
}

function useMariaDb(base: string, pool: Partial<PoolOptions> = {}): TestMariaDb {
  const dbName = `strata_t_${randomBytes(6).toString('hex')}`;
  const parsed = new URL(base);
  parsed.pathname = `/${dbName}`;
  const url = parsed.toString();
  let database: Database | undefined;
  const adminQuery = async (text: string) => {
    const conn = await createConnection({ uri: base });
    try {
      await conn.query(text);
    } finally {
      await conn.end();
    }
  };
  beforeAll(async () => {
    await adminQuery(`CREATE DATABASE ${quoteIdent(dbName, 'mariadb')}`);
    database = await openMariaDb(url, { max: 10, ...pool });
  });
  afterAll(async () => {
    await database?.close();
    await adminQuery(`DROP DATABASE IF EXISTS ${quoteIdent(dbName, 'mariadb')}`);
  });
  return {
    url,
    get database(): Database {
      if (!database) throw new Error('useMariaDb: the database is ready only inside tests and hooks');
      return database;
    },
  };
}
