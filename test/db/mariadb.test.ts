import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { withTransaction } from '../../src/db/index.js';
import { caught } from '../support/errors.js';
import { describeMariaDb } from '../support/mariadb.js';

describeMariaDb('MariaDB through Kysely', (maria) => {
  beforeAll(async () => {
    const db = maria.database.db;
    await sql`CREATE TABLE parents (id int PRIMARY KEY) ENGINE=InnoDB`.execute(db);
    await sql`CREATE TABLE items (
      id int PRIMARY KEY,
      sku varchar(64) NOT NULL,
      stock int NOT NULL,
      parent_id int NULL,
      CONSTRAINT items_sku_key UNIQUE (sku),
      CONSTRAINT items_stock_nonnegative CHECK (stock >= 0),
      CONSTRAINT items_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id)) ENGINE=InnoDB`.execute(db);
    await sql`INSERT INTO parents VALUES (1)`.execute(db);
    await sql`INSERT INTO items VALUES (1, 'A-1', 5, 1), (2, 'A-2', 5, 1)`.execute(db);
    await sql`CREATE TABLE scratch (n int NOT NULL) ENGINE=InnoDB`.execute(db);
  });

  it('reports the engine and its capabilities', () => {
    const caps = maria.database.capabilities;
    expect(caps.engine).toBe('mariadb');
    expect(caps.upsert).toBe('on-duplicate-key');
    expect(caps.systemVersioning).toBe(true);
    expect(caps.copy).toBe(false);
  });

  it('UNIQUE_VIOLATION names the key and hides the value', async () => {
    const err = await caught(() => sql`INSERT INTO items VALUES (3, 'A-1', 1, NULL)`.execute(maria.database.db));
    expect(err.code).toBe('UNIQUE_VIOLATION');
    expect(err.details.constraint).toBe('items_sku_key');
    expect(err.message).not.toContain('A-1');
  });

  it('FOREIGN_KEY_VIOLATION names the constraint and column', async () => {
    const err = await caught(() => sql`INSERT INTO items VALUES (4, 'B', 1, 99)`.execute(maria.database.db));
    expect(err.code).toBe('FOREIGN_KEY_VIOLATION');
    expect(err.details).toMatchObject({ constraint: 'items_parent_fk', columns: ['parent_id'], table: 'items' });
  });

  it('CHECK_VIOLATION names the constraint', async () => {
    const err = await caught(() => sql`UPDATE items SET stock = -1 WHERE id = 1`.execute(maria.database.db));
    expect(err.code).toBe('CHECK_VIOLATION');
    expect(err.details.constraint).toBe('items_stock_nonnegative');
  });

  it('NOT_NULL_VIOLATION names the column', async () => {
    const err = await caught(() => sql`INSERT INTO items (id, sku, stock) VALUES (5, NULL, 1)`.execute(maria.database.db));
    expect(err.code).toBe('NOT_NULL_VIOLATION');
    expect(err.details.columns).toEqual(['sku']);
  });

  it('reads BIGINT as bigint', async () => {
    const { rows } = await sql<{ big: bigint }>`SELECT CAST(9007199254740993 AS SIGNED) AS big`.execute(maria.database.db);
    expect(rows[0]?.big).toBe(9007199254740993n);
  });

  it('withTransaction retries a real deadlock between two connections (InnoDB aborts the lighter one)', async () => {
    const db = maria.database.db;
    let attempts = 0;
    let release!: () => void;
    const otherHolds = new Promise<void>((r) => {
      release = r;
    });
    let lockedByOther!: () => void;
    const otherLocked = new Promise<void>((r) => {
      lockedByOther = r;
    });
    const other = db.transaction().execute(async (trx) => {
      await sql`INSERT INTO scratch SELECT seq FROM seq_1_to_200`.execute(trx);
      await sql`SELECT id FROM items WHERE id = 1 FOR UPDATE`.execute(trx);
      lockedByOther();
      await otherHolds;
      await sql`SELECT id FROM items WHERE id = 2 FOR UPDATE`.execute(trx);
    });
    await otherLocked;
    const codes: string[] = [];
    await withTransaction(
      db,
      async (trx) => {
        attempts++;
        await sql`SELECT id FROM items WHERE id = 2 FOR UPDATE`.execute(trx);
        if (attempts === 1) {
          release();
          await new Promise((r) => setTimeout(r, 200));
        }
        await sql`SELECT id FROM items WHERE id = 1 FOR UPDATE`.execute(trx);
      },
      { onRetry: (info) => codes.push(info.code) },
    );
    await other;
    expect(codes).toEqual(['DEADLOCK']);
    expect(attempts).toBe(2);
    const { rows } = await sql<{ n: bigint }>`SELECT COUNT(*) AS n FROM scratch`.execute(db);
    expect(rows[0]?.n).toBe(200n);
  });
});
