import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openPostgres, withTransaction } from '../../src/db/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';

const t = usePostgres();

/** The session's own value, read with a query strata passes through untouched (a Submittable). */
async function sessionTimeout(client: pg.ClientBase): Promise<string> {
  const result = await new Promise<pg.QueryResult>((resolve, reject) => {
    client.query(new pg.Query('SHOW statement_timeout', (err: Error | undefined, res: pg.QueryResult) => (err ? reject(err) : resolve(res))));
  });
  return String(result.rows[0]?.statement_timeout);
}

/**
 * Both paths on a direct server: once per session (what a direct connection gets), and per
 * transaction (what a connection behind a pooler gets; `pooler: true` forces it here).
 */
const throughPgBouncer = process.env.STRATA_TEST_PGBOUNCER === '1';

describe.each([
  // Through PgBouncer only the per-transaction path is correct (a session SET would stay on the server connection for the next client).
  ...(throughPgBouncer ? [] : [{ mode: 'once per session (a direct connection)', pooler: false, session: '300ms' }]),
  { mode: 'per transaction, never per session (behind a pooler)', pooler: true, session: '0' },
])('the statement timeout is set $mode', ({ pooler, session }) => {
  let database: Database;
  let db: Kysely<unknown>;
  beforeAll(async () => {
    database = await openPostgres(t.url, { max: 2, statementTimeoutMs: 300, pooler });
    await sql`DROP TABLE IF EXISTS items`.execute(database.db);
    db = database.db;
    await sql`CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)`.execute(db);
  });
  afterAll(async () => {
    await database.close();
  });

  it('cancels a slow statement outside a transaction, with and without parameters', async () => {
    expect((await caught(() => sql`SELECT pg_sleep(${5})`.execute(db))).code).toBe('STATEMENT_TIMEOUT');
    expect((await caught(() => sql`SELECT pg_sleep(5)`.execute(db))).code).toBe('STATEMENT_TIMEOUT');
  });

  it('cancels a slow statement inside a transaction, at any isolation level', async () => {
    for (const isolation of [undefined, 'serializable'] as const) {
      const err = await caught(() => withTransaction(db, (trx) => sql`SELECT pg_sleep(5)`.execute(trx), isolation ? { isolation } : {}));
      expect(err.code).toBe('STATEMENT_TIMEOUT');
    }
    const seen = await withTransaction(db, (trx) => sql<{ iso: string }>`SELECT current_setting('transaction_isolation') AS iso`.execute(trx), {
      isolation: 'serializable',
    });
    expect(seen.rows).toEqual([{ iso: 'serializable' }]);
  });

  it("keeps a transaction's own SET LOCAL statement_timeout (a bulk load's COPY) until it ends", async () => {
    const rows = await withTransaction(db, async (trx) => {
      await sql`SET LOCAL statement_timeout = 0`.execute(trx);
      await sql`SELECT pg_sleep(0.5)`.execute(trx);
      return (await sql<{ st: string }>`SELECT current_setting('statement_timeout') AS st`.execute(trx)).rows;
    });
    expect(rows).toEqual([{ st: '0' }]);
  });

  it('leaves results as they were: rows, affected row counts, several statements in one string', async () => {
    expect((await sql<{ st: string }>`SELECT current_setting('statement_timeout') AS st`.execute(db)).rows).toEqual([{ st: '300ms' }]);
    const inserted = await db
      .insertInto('items' as never)
      .values({ id: 1, n: 1 } as never)
      .executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
    const updated = await sql`UPDATE items SET n = n + ${1}`.execute(db);
    expect(updated.numAffectedRows).toBe(1n);
    const client = await database.connectRaw?.();
    if (!client) throw new Error('connectRaw missing');
    try {
      const many = (await client.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as pg.QueryResult[];
      expect(many.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
      const single = await client.query('SELECT n FROM items');
      expect(single.rows).toEqual([{ n: 2 }]);
      const viaCallback = await new Promise((resolve, reject) =>
        client.query('SELECT $1::int AS x', [7], (err, res) => (err ? reject(err) : resolve(res.rows))),
      );
      expect(viaCallback).toEqual([{ x: 7 }]);
      const begun = await client.query('BEGIN');
      expect(begun.command).toBe('BEGIN');
      expect((await client.query('SELECT current_setting($1) AS st', ['statement_timeout'])).rows).toEqual([{ st: '300ms' }]);
      await client.query('COMMIT');
      expect(await sessionTimeout(client)).toBe(session);
    } finally {
      client.release();
    }
  });

  it('sends what cannot run in a transaction block as it is (VACUUM, CREATE INDEX CONCURRENTLY)', async () => {
    await sql`VACUUM items`.execute(db);
    await sql`CREATE INDEX CONCURRENTLY items_n ON items (n)`.execute(db);
  });

  it(
    pooler ? 'a raw client of the same pool still reads the server default afterwards' : 'a raw client of the same pool reads the timeout as its session value',
    async () => {
      const client = await database.connectRaw?.();
      if (!client) throw new Error('connectRaw missing');
      try {
        if (!pooler) await client.query('SELECT 1');
        expect(await sessionTimeout(client)).toBe(session);
      } finally {
        client.release();
      }
    },
  );

  it('statementTimeoutMs 0 adds nothing', async () => {
    const none = await openPostgres(t.url, { max: 1, statementTimeoutMs: 0, pooler });
    try {
      expect((await sql<{ st: string }>`SELECT current_setting('statement_timeout') AS st`.execute(none.db)).rows).toEqual([{ st: '0' }]);
    } finally {
      await none.close();
    }
  });
});
