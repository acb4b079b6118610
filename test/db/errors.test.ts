import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorKinds, freePort, isStrataError, openPostgres, withTransaction } from '../../src/db/index.js';
import { caught } from '../support/errors.js';
import { usePostgres } from '../support/postgres.js';
import { createLoginRole } from '../support/roles.js';

const pg = usePostgres();

describe('driver errors become typed errors (PostgreSQL)', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE parents (id int PRIMARY KEY)`.execute(db);
    await sql`CREATE TABLE items (
      id int PRIMARY KEY,
      sku text NOT NULL CONSTRAINT items_sku_key UNIQUE,
      stock int NOT NULL CONSTRAINT items_stock_nonnegative CHECK (stock >= 0),
      parent_id int CONSTRAINT items_parent_fk REFERENCES parents (id))`.execute(db);
    await sql`INSERT INTO parents VALUES (1)`.execute(db);
    await sql`INSERT INTO items VALUES (1, 'A-1', 5, 1)`.execute(db);
  });

  it('UNIQUE_VIOLATION names the constraint and columns, keeps the driver error, hides the value', async () => {
    const err = await caught(() => sql`INSERT INTO items VALUES (2, 'A-1', 1, NULL)`.execute(db));
    expect(err.code).toBe('UNIQUE_VIOLATION');
    expect(err.details).toMatchObject({ constraint: 'items_sku_key', table: 'items', columns: ['sku'], sqlState: '23505' });
    expect(err.message).not.toContain('A-1');
    expect((err.cause as { code?: string }).code).toBe('23505');
  });

  it('FOREIGN_KEY_VIOLATION names the constraint and columns', async () => {
    const err = await caught(() => sql`INSERT INTO items VALUES (3, 'B', 1, 99)`.execute(db));
    expect(err.code).toBe('FOREIGN_KEY_VIOLATION');
    expect(err.details).toMatchObject({ constraint: 'items_parent_fk', columns: ['parent_id'] });
  });

  it('CHECK_VIOLATION names the constraint and the columns it covers', async () => {
    const err = await caught(() => sql`UPDATE items SET stock = -1 WHERE id = 1`.execute(db));
    expect(err.code).toBe('CHECK_VIOLATION');
    expect(err.details).toMatchObject({ constraint: 'items_stock_nonnegative', table: 'items', columns: ['stock'] });
  });

  it('NOT_NULL_VIOLATION names the column', async () => {
    const err = await caught(() => sql`INSERT INTO items (id, sku) VALUES (4, NULL)`.execute(db));
    expect(err.code).toBe('NOT_NULL_VIOLATION');
    expect(err.details).toMatchObject({ table: 'items', columns: ['sku'] });
  });

  it('INVALID_DATA for values the column type rejects', async () => {
    const err = await caught(() => sql`SELECT ${'abc'}::int`.execute(db));
    expect(err.code).toBe('INVALID_DATA');
  });

  it('LOCK_TIMEOUT when a row stays locked by another connection', async () => {
    const raw = await pg.rawClient();
    await raw.query('BEGIN');
    await raw.query('UPDATE items SET stock = stock WHERE id = 1');
    const err = await caught(() =>
      withTransaction(db, async (trx) => {
        await sql`SET LOCAL lock_timeout = '50ms'`.execute(trx);
        await sql`UPDATE items SET stock = 1 WHERE id = 1`.execute(trx);
      }),
    );
    await raw.query('ROLLBACK');
    expect(err.code).toBe('LOCK_TIMEOUT');
  });

  it('STATEMENT_TIMEOUT when a statement runs too long', async () => {
    const err = await caught(() =>
      withTransaction(db, async (trx) => {
        await sql`SET LOCAL statement_timeout = '50ms'`.execute(trx);
        await sql`SELECT pg_sleep(5)`.execute(trx);
      }),
    );
    expect(err.code).toBe('STATEMENT_TIMEOUT');
  });

  it('CONNECTION_LOST when the backend is terminated mid-transaction, and the pool recovers', async () => {
    const raw = await pg.rawClient();
    const err = await caught(() =>
      withTransaction(db, async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        await raw.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        await sql`SELECT 1`.execute(trx);
      }),
    );
    expect(err.code).toBe('CONNECTION_LOST');
    const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
    expect(rows[0]?.one).toBe(1);
  });

  it('CONNECTION_FAILED when nothing listens at the URL', async () => {
    const port = await freePort();
    const err = await caught(() => openPostgres(`postgres://postgres@127.0.0.1:${port}/x`, { connectionTimeoutMs: 2000 }));
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(isStrataError(err, 'CONNECTION_FAILED')).toBe(true);
  });

  it('TOO_MANY_CONNECTIONS (503, retryable) when the server refuses a connection over its limit (SQLSTATE 53300), not DATABASE_ERROR', async () => {
    // A role allowed no connection at all: the server refuses it with 53300, as it does past max_connections.
    // Straight to the server (directUrl): a pooler in front answers a refused server login with its own error.
    const role = await createLoginRole(db, 'strata_t_connlimit', ['ALTER ROLE %role% CONNECTION LIMIT 0']);
    const err = await caught(() => openPostgres(role.urlFrom(pg.directUrl), { connectionTimeoutMs: 5000 }));
    expect(err.code).toBe('TOO_MANY_CONNECTIONS');
    expect(err.details.sqlState).toBe('53300');
    expect(errorKinds().find((k) => k.code === 'TOO_MANY_CONNECTIONS')?.status).toBe(503);
  });

  it('reads bigint columns as bigint, never as a lossy number', async () => {
    const { rows } = await sql<{ big: bigint }>`SELECT 9007199254740993::bigint AS big`.execute(db);
    expect(rows[0]?.big).toBe(9007199254740993n);
  });
});
