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

  it('purges 100,000 deleted rows while 8 connections write live rows: no write fails or waits a second for a lock', async () => {
    await addOldDeleted(db, OLD, 'old-a-');
    await sql`INSERT INTO events (id, sku, body) SELECT gen_random_uuid(), 'live-' || g, 'x' FROM generate_series(1, 100) g`.execute(db);
    await sql`INSERT INTO events_all (id, sku, body, deleted_at) VALUES (gen_random_uuid(), 'recent-1', 'x', now())`.execute(db);
    let done = false;
    const failures: string[] = [];
    let writes = 0;
    const writer = async (w: number) => {
      for (let i = 0; !done; i++) {
        try {
          await withTransaction(db, async (trx) => {
            await sql`SET LOCAL lock_timeout = '1s'`.execute(trx);
            await sql`INSERT INTO events (id, sku, body) VALUES (gen_random_uuid(), ${`w${w}-${i}`}, 'new')`.execute(trx);
            await sql`UPDATE events SET body = ${`touched ${i}`} WHERE sku = ${`live-${(i % 100) + 1}`}`.execute(trx);
          });
          writes++;
        } catch (err) {
          failures.push(isStrataError(err) ? err.code : String(err));
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    const progress: number[] = [];
    const result = await purgeDeleted(db, { table: 'events', olderThanMs: 30 * 86_400_000, batchSize: 1000, onProgress: (p) => progress.push(p.purged) });
    done = true;
    await Promise.all(writers);
    expect(result.error).toBeUndefined();
    expect(result.purged).toBe(OLD);
    expect(progress.at(-1)).toBe(OLD);
    expect(failures).toEqual([]);
    expect(writes).toBeGreaterThan(8);
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
});
