import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { isStrataError, withTransaction } from '../../src/db/index.js';
import { enableSoftDelete, purgeDeleted } from '../../src/softdelete/index.js';
import { runCli, startCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 20 });
const OLD = 100_000;

async function addOldDeleted(db: Kysely<unknown>, count: number, tag: string): Promise<void> {
  await sql`INSERT INTO events_all (id, sku, body, deleted_at, deleted_by)
    SELECT gen_random_uuid(), ${tag} || g, 'x', now() - interval '40 days' - g * interval '1 second', 'seed'
      FROM generate_series(1, ${count}) g`.execute(db);
}

async function oldDeletedCount(db: Kysely<unknown>): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events_all WHERE deleted_at < now() - interval '30 days'`.execute(db);
  return rows[0]?.n ?? -1;
}

describe('purging old soft-deleted rows', () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE events (id uuid PRIMARY KEY, sku text NOT NULL UNIQUE, body text NOT NULL)`.execute(db);
    await enableSoftDelete(db, { table: 'events' });
  });

  it('purges 100,000 deleted rows while 8 connections write live rows and the very rows it purges: no write fails or waits a second for a lock', async () => {
    await addOldDeleted(db, OLD, 'old-a-');
    await sql`INSERT INTO events (id, sku, body) SELECT gen_random_uuid(), 'live-' || g, 'x' FROM generate_series(1, 100) g`.execute(db);
    await sql`INSERT INTO events_all (id, sku, body, deleted_at) VALUES (gen_random_uuid(), 'recent-1', 'x', now())`.execute(db);
    let done = false;
    const failures: string[] = [];
    let writes = 0;
    // What each write to an old deleted row found, in the order they committed: the row (not purged yet) or nothing (purged).
    const found: boolean[] = [];
    const writer = async (w: number) => {
      for (let i = 0; !done; i++) {
        try {
          await withTransaction(db, async (trx) => {
            await sql`SET LOCAL lock_timeout = '1s'`.execute(trx);
            await sql`INSERT INTO events (id, sku, body) VALUES (gen_random_uuid(), ${`w${w}-${i}`}, 'new')`.execute(trx);
            await sql`UPDATE events SET body = ${`touched ${i}`} WHERE sku = ${`live-${(i % 100) + 1}`}`.execute(trx);
            // A row the purge is deleting: a purge that held its rows' locks for long (one big transaction) makes this wait.
            const touched = await sql`UPDATE events_all SET body = ${`touched ${i}`} WHERE sku = ${`old-a-${1 + Math.floor(Math.random() * OLD)}`}`.execute(
              trx,
            );
            return touched.numAffectedRows === 1n;
          }).then((present) => found.push(present));
          writes++;
        } catch (err) {
          failures.push(isStrataError(err) ? err.code : String(err));
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    const progress: { purged: number; writes: number }[] = [];
    const result = await purgeDeleted(db, {
      table: 'events',
      olderThanMs: 30 * 86_400_000,
      batchSize: 1000,
      onProgress: (p) => progress.push({ purged: p.purged, writes }),
    });
    done = true;
    await Promise.all(writers);
    expect(result.error).toBeUndefined();
    expect(result.purged).toBe(OLD);
    expect(progress.at(-1)?.purged).toBe(OLD);
    expect(failures).toEqual([]);
    // The writes overlapped the purge's batches: they went on between its first and last batch, and a write found an old row
    // already purged before a later one found another still there (one purge transaction would hide every purge until its end).
    expect((progress.at(-1)?.writes ?? 0) - (progress[0]?.writes ?? 0)).toBeGreaterThan(0);
    expect(found.indexOf(false)).toBeGreaterThanOrEqual(0);
    expect(found.lastIndexOf(true)).toBeGreaterThan(found.indexOf(false));
    expect(await oldDeletedCount(db)).toBe(0);
    const kept = await sql<{ live: number; recent: number }>`
      SELECT count(*) FILTER (WHERE deleted_at IS NULL AND sku LIKE 'live-%')::int AS live, count(*) FILTER (WHERE sku = 'recent-1')::int AS recent FROM events_all`.execute(
      db,
    );
    expect(kept.rows[0]).toEqual({ live: 100, recent: 1 });
  }, 180_000);

  it('is resumable: `strata softdelete purge` killed with SIGKILL mid-way, rerun, ends with every old row gone', async () => {
    await addOldDeleted(db, OLD, 'old-b-');
    const env = { DATABASE_URL: pg.url };
    const first = startCli(['softdelete', 'purge', 'events', '--older-than', '30d', '--batch-size', '200'], env);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/purging events: \d+/.test(first.output().stderr)) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
      first.exited.then((r) => {
        clearInterval(timer);
        reject(new Error(`purge exited before it was killed: ${r.stderr}`));
      });
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const left = await oldDeletedCount(db);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(OLD);
    const rerun = await runCli(['softdelete', 'purge', 'events', '--older-than', '30d'], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`purged ${left} rows`);
    expect(await oldDeletedCount(db)).toBe(0);
  }, 180_000);

  it('purges children first and keeps a parent any child row still references (cascade and keep children): no foreign key is violated', async () => {
    await sql`CREATE TABLE orders (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), ref text NOT NULL UNIQUE)`.execute(db);
    await sql`CREATE TABLE order_lines (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), order_id uuid NOT NULL REFERENCES orders (id), label text NOT NULL)`.execute(
      db,
    );
    await sql`CREATE TABLE order_notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), order_id uuid NOT NULL REFERENCES orders (id), body text NOT NULL)`.execute(
      db,
    );
    await enableSoftDelete(db, { table: 'order_lines' });
    await enableSoftDelete(db, {
      table: 'orders',
      children: [
        { table: 'order_lines', column: 'order_id', mode: 'cascade' },
        { table: 'order_notes', column: 'order_id', mode: 'keep' },
      ],
    });
    const order = async (ref: string, lines: number) => {
      const id = (await sql<{ id: string }>`INSERT INTO orders (ref) VALUES (${ref}) RETURNING id`.execute(db)).rows[0]?.id as string;
      for (let i = 0; i < lines; i++) await sql`INSERT INTO order_lines (order_id, label) VALUES (${id}, ${`${ref}-${i}`})`.execute(db);
      return id;
    };
    const age = (table: string, where: ReturnType<typeof sql>) =>
      sql`UPDATE ${sql.table(`${table}_all`)} SET deleted_at = now() - interval '40 days' WHERE deleted_at IS NOT NULL AND ${where}`.execute(db);
    // A: deleted with its 2 lines long ago: both purged, lines first.
    const a = await order('A', 2);
    // B: deleted with its line long ago, but a `keep` note still points at it: its line is purged, B stays.
    const b = await order('B', 1);
    await sql`INSERT INTO order_notes (order_id, body) VALUES (${b}, 'keep me')`.execute(db);
    // C: deleted long ago, its line deleted with it but only recently (within the retention): both stay.
    const c = await order('C', 1);
    // D: live.
    await order('D', 1);
    await sql`DELETE FROM orders WHERE id IN (${a}, ${b}, ${c})`.execute(db);
    // `keep`: the note stays live and still references its (soft-deleted) order.
    const notes = await sql<{ body: string; deleted: boolean }>`
      SELECT n.body, o.deleted_at IS NOT NULL AS deleted FROM order_notes n JOIN orders_all o ON o.id = n.order_id`.execute(db);
    expect(notes.rows).toEqual([{ body: 'keep me', deleted: true }]);
    await age('orders', sql`true`);
    await age('order_lines', sql`order_id IN (${a}, ${b})`);

    const result = await purgeDeleted(db, { table: 'orders', olderThanMs: 30 * 86_400_000 });
    expect(result.error).toBeUndefined();
    expect(result.byTable).toEqual({ order_lines: 3, orders: 1 });
    const left = await sql<{ ref: string; lines: number; live: boolean }>`
      SELECT o.ref, o.deleted_at IS NULL AS live, (SELECT count(*)::int FROM order_lines_all l WHERE l.order_id = o.id) AS lines
        FROM orders_all o ORDER BY o.ref`.execute(db);
    expect(left.rows).toEqual([
      { ref: 'B', live: false, lines: 0 },
      { ref: 'C', live: false, lines: 1 },
      { ref: 'D', live: true, lines: 1 },
    ]);
    expect((await sql`SELECT 1 FROM order_notes WHERE order_id = ${b}`.execute(db)).rows).toHaveLength(1);
  });

  it('a row another transaction holds when every other row is purged is retried, not left behind', async () => {
    await sql`CREATE TABLE tickets (id int PRIMARY KEY)`.execute(db);
    await enableSoftDelete(db, { table: 'tickets' });
    await sql`INSERT INTO tickets_all (id, deleted_at) SELECT g, now() - interval '40 days' FROM generate_series(1, 3) g`.execute(db);
    const holder = await pg.rawClient();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM tickets_all WHERE id = 3 FOR UPDATE');
    // The purge's batch skips row 3 (SKIP LOCKED) and finds nothing else: it must not take that for "done".
    const purging = purgeDeleted(db, { table: 'tickets', olderThanMs: 30 * 86_400_000, lockTimeoutMs: 10_000 });
    for (let tries = 0; ; tries++) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tickets_all`.execute(db);
      if (rows[0]?.n === 1) break;
      if (tries > 500) throw new Error('the purge never deleted rows 1 and 2');
      await new Promise((r) => setTimeout(r, 10));
    }
    await holder.query('COMMIT');
    const result = await purging;
    expect(result.error).toBeUndefined();
    expect(result.purged).toBe(3);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM tickets_all`.execute(db)).rows[0]?.n).toBe(0);
  });
});
