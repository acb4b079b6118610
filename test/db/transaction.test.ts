import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { type RetryInfo, StrataError, withTransaction } from '../../src/db/index.js';
import { conflictOnce } from '../support/conflicts.js';
import { usePostgres } from '../support/postgres.js';

const test = usePostgres();

describe('withTransaction', () => {
  let db: Kysely<unknown>;
  beforeEach(async () => {
    db = test.database.db;
    await sql`DROP TABLE IF EXISTS t`.execute(db);
    await sql`CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)`.execute(db);
  });

  it('retries a real serialization failure (40001) and then succeeds', async () => {
    const retries: RetryInfo[] = [];
    const attempts = await conflictOnce(db, await test.rawClient(), 't', '(1, 1)', '(2, 2)', { onRetry: (info) => retries.push(info) });
    expect(attempts).toBe(2);
    expect(retries.map((r) => r.code)).toEqual(['SERIALIZATION_FAILURE']);
    const { rows } = await sql<{ id: number }>`SELECT id FROM t ORDER BY id`.execute(db);
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
  });

  it('retries a real deadlock (40P01) between two connections and then succeeds', async () => {
    await sql`INSERT INTO t VALUES (1, 0), (2, 0)`.execute(db);
    const other = await test.rawClient();
    const observer = await test.rawClient();
    await other.query(`SET deadlock_timeout = '10s'`);
    await other.query('BEGIN');
    await other.query('UPDATE t SET v = v + 10 WHERE id = 1');
    const retries: RetryInfo[] = [];
    let attempts = 0;
    let otherDone: Promise<unknown> = Promise.resolve();
    await withTransaction(
      db,
      async (trx) => {
        attempts++;
        await sql`SET LOCAL deadlock_timeout = '50ms'`.execute(trx);
        await sql`UPDATE t SET v = v + 1 WHERE id = 2`.execute(trx);
        if (attempts === 1) {
          otherDone = other.query('UPDATE t SET v = v + 10 WHERE id = 2').then(() => other.query('COMMIT'));
          await waitUntilBlocked(observer);
        }
        await sql`UPDATE t SET v = v + 1 WHERE id = 1`.execute(trx);
      },
      { onRetry: (info) => retries.push(info) },
    );
    await otherDone;
    expect(attempts).toBe(2);
    expect(retries.map((r) => r.code)).toEqual(['DEADLOCK']);
    const { rows } = await sql<{ id: number; v: number }>`SELECT id, v FROM t ORDER BY id`.execute(db);
    expect(rows).toEqual([
      { id: 1, v: 11 },
      { id: 2, v: 11 },
    ]);
  });

  it('does not retry a non-retryable error (unique violation) and rolls back', async () => {
    let attempts = 0;
    const err = await withTransaction(db, async (trx) => {
      attempts++;
      await sql`INSERT INTO t VALUES (1, 1)`.execute(trx);
      await sql`INSERT INTO t VALUES (1, 2)`.execute(trx);
    }).catch((e: unknown) => e);
    expect(attempts).toBe(1);
    expect((err as StrataError).code).toBe('UNIQUE_VIOLATION');
    const { rows } = await sql`SELECT * FROM t`.execute(db);
    expect(rows).toHaveLength(0);
  });

  it('gives up after maxAttempts and reports how many were made', async () => {
    let attempts = 0;
    const err = await withTransaction(
      db,
      async () => {
        attempts++;
        throw new StrataError('SERIALIZATION_FAILURE', 'conflict');
      },
      { maxAttempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e as StrataError);
    expect(attempts).toBe(3);
    expect(err.code).toBe('SERIALIZATION_FAILURE');
    expect(err.details.attempts).toBe(3);
  });

  it('joins an outer transaction instead of opening a nested one', async () => {
    await withTransaction(db, async (outer) => {
      await sql`INSERT INTO t VALUES (1, 1)`.execute(outer);
      await withTransaction(outer, async (inner) => {
        expect(inner).toBe(outer);
        await sql`INSERT INTO t VALUES (2, 2)`.execute(inner);
      });
    });
    const { rows } = await sql`SELECT * FROM t`.execute(db);
    expect(rows).toHaveLength(2);
  });
});

async function waitUntilBlocked(observer: pg.Client): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await observer.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE t SET v = v + 10%'`,
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the other transaction never blocked');
}
