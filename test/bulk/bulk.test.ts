import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Kysely, sql } from 'kysely';
import type { Client } from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkInsert, bulkUpsert, csvFile, csvSource, exportRows, ndjsonSource, objectSource } from '../../src/bulk/index.js';
import { ensureLoadTable } from '../../src/bulk/progress.js';
import { introspect, openPostgres } from '../../src/db/index.js';
import { enableHistory } from '../../src/history/index.js';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

describe('bulk loading', () => {
  let db: Kysely<unknown>;
  let dir: string;
  beforeAll(async () => {
    db = pg.database.db;
    dir = await mkdtemp(join(tmpdir(), 'strata-bulk-'));
    await sql`CREATE TABLE goods (id bigserial PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, price bigint NOT NULL CHECK (price >= 0),
      tags text[] NOT NULL DEFAULT '{}', meta jsonb, made_at timestamptz, version int NOT NULL DEFAULT 1)`.execute(db);
  });

  const count = async (where = sql`true`) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM goods WHERE ${where}`.execute(db)).rows[0]?.n;

  it('loads objects, CSV and NDJSON with awkward values intact', async () => {
    const tricky = 'tab\there, newline\nhere, back\\slash, "quotes", ünïcode';
    const result = await bulkInsert(
      pg.database,
      'goods',
      objectSource([
        {
          sku: 'O-1',
          name: tricky,
          price: 9007199254740993n,
          tags: ['a', 'b c', 'd"e'],
          meta: { k: [1, 'x\\y'] },
          made_at: new Date('2026-01-02T03:04:05.678Z'),
        },
      ]),
    );
    expect(result).toMatchObject({ rows: 1, chunks: 1 });
    const row = (await sql<Record<string, unknown>>`SELECT name, price, tags, meta, made_at FROM goods WHERE sku = 'O-1'`.execute(db)).rows[0];
    expect(row).toEqual({
      name: tricky,
      price: 9007199254740993n,
      tags: ['a', 'b c', 'd"e'],
      meta: { k: [1, 'x\\y'] },
      made_at: new Date('2026-01-02T03:04:05.678Z'),
    });

    const csv = join(dir, 'goods.csv');
    await writeFile(csv, 'sku,name,price,tags\nC-1,"Comma, inside",10,"{x,y}"\r\nC-2,"Line\nbreak",20,{}\n');
    expect(await bulkInsert(pg.database, 'goods', csvSource(createReadStream(csv)))).toMatchObject({ rows: 2 });
    expect((await sql<{ name: string }>`SELECT name FROM goods WHERE sku = 'C-2'`.execute(db)).rows[0]?.name).toBe('Line\nbreak');

    const nd = join(dir, 'goods.ndjson');
    await writeFile(nd, '{"sku":"N-1","name":"n1","price":1}\n\n{"sku":"N-2","name":"n2","price":2,"tags":["t"]}\n');
    expect(await bulkInsert(pg.database, 'goods', ndjsonSource(createReadStream(nd)), { columns: ['sku', 'name', 'price'] })).toMatchObject({ rows: 2 });
  });

  it('a bad row names its line and column, and nothing of its chunk is committed', async () => {
    const csv = join(dir, 'bad.csv');
    await writeFile(csv, `sku,name,price\n${Array.from({ length: 9 }, (_, i) => `B-${i},b,${i}`).join('\n')}\nB-9,b,not-a-number\nB-10,b,10\n`);
    const result = await bulkInsert(pg.database, 'goods', csvSource(createReadStream(csv)), { chunkRows: 100 });
    expect(result.error?.code).toBe('BULK_BAD_ROW');
    expect(result.error?.message).toMatch(/^line 11, column price:/);
    expect(await count(sql`sku LIKE 'B-%'`)).toBe(0);
    const negative = await bulkInsert(
      pg.database,
      'goods',
      objectSource([
        { sku: 'NEG-1', name: 'n', price: 1 },
        { sku: 'NEG-2', name: 'n', price: -1 },
      ]),
    );
    expect(negative.error?.message).toMatch(/^line 2: check constraint violated/);
    const unknown = await bulkInsert(pg.database, 'goods', objectSource([{ sku: 'U-1', colour: 'red' }]));
    expect(unknown.error).toMatchObject({ code: 'BULK_SOURCE_INVALID', message: 'line 1: goods has no column "colour"' });
  });

  it('with a reject handler, bad lines are set aside and the rest loads', async () => {
    const rejected: string[] = [];
    const reasons: string[] = [];
    const rows = Array.from({ length: 1000 }, (_, i) => ({ sku: `R-${i}`, name: 'r', price: i % 97 === 0 ? -1 : i }));
    const result = await bulkInsert(pg.database, 'goods', objectSource(rows), {
      chunkRows: 300,
      onReject: (r, reason) => {
        rejected.push(r.raw);
        reasons.push(reason);
      },
    });
    expect(reasons[1]).toMatch(/^line 98: .*check/i);
    expect(result.error).toBeUndefined();
    expect(result.rejected).toBe(11);
    expect(result.rows).toBe(989);
    expect(rejected).toHaveLength(11);
    expect(JSON.parse(rejected[0] ?? '{}')).toMatchObject({ sku: 'R-0', price: -1 });
  });

  it('reject mode sets aside only rows the database refuses for their data: a missing privilege or a read-only transaction stops the load with nothing set aside', async () => {
    // A role that may read but not write goods: every row would fail alike, so none is a bad row.
    const role = `strata_t_reader_${Math.random().toString(36).slice(2, 10)}`;
    await sql`CREATE ROLE ${sql.id(role)} LOGIN PASSWORD 'reader'`.execute(db);
    await sql`GRANT USAGE, CREATE ON SCHEMA public TO ${sql.id(role)}`.execute(db);
    await sql`GRANT SELECT ON goods TO ${sql.id(role)}`.execute(db);
    await ensureLoadTable(db);
    await sql`GRANT USAGE ON SCHEMA strata TO ${sql.id(role)}`.execute(db);
    await sql`GRANT SELECT ON strata.internal_migrations TO ${sql.id(role)}`.execute(db);
    await sql`GRANT ALL ON strata.bulk_loads, strata.bulk_chunks TO ${sql.id(role)}`.execute(db);
    const urlAs = (base: string) => {
      const url = new URL(base);
      url.username = role;
      url.password = 'reader';
      return url.toString();
    };
    const rows = Array.from({ length: 50 }, (_, i) => ({ sku: `RO-${i}`, name: 'r', price: i }));
    const load = async (url = urlAs(pg.url)) => {
      const reader = await openPostgres(url, { max: 2 });
      const rejected: string[] = [];
      try {
        return { result: await bulkInsert(reader, 'goods', objectSource(rows), { chunkRows: 20, onReject: (r) => void rejected.push(r.raw) }), rejected };
      } finally {
        await reader.close();
      }
    };
    try {
      const denied = await load();
      expect(denied.rejected).toEqual([]);
      expect(denied.result).toMatchObject({ rows: 0, rejected: 0 });
      expect(denied.result.error?.code).not.toBe('BULK_BAD_ROW');
      expect((denied.result.error?.cause as { code?: string } | undefined)?.code).toBe('42501');
      await sql`GRANT INSERT, UPDATE ON goods TO ${sql.id(role)}`.execute(db);
      await sql`ALTER ROLE ${sql.id(role)} SET default_transaction_read_only = on`.execute(db);
      // A role's defaults (ALTER ROLE … SET) apply when a server connection starts, and a pooler
      // (STRATA_TEST_PGBOUNCER=1) keeps the ones the first load opened: this load goes direct.
      const readOnly = await load(urlAs(pg.directUrl));
      expect(readOnly.rejected).toEqual([]);
      expect(readOnly.result).toMatchObject({ rows: 0, rejected: 0 });
      expect((readOnly.result.error?.cause as { code?: string } | undefined)?.code).toBe('25006');
      expect(await count(sql`sku LIKE 'RO-%'`)).toBe(0);
    } finally {
      await sql`DROP OWNED BY ${sql.id(role)}`.execute(db);
      await sql`DROP ROLE ${sql.id(role)}`.execute(db);
    }
  });

  it('bulkUpsert updates existing keys, inserts new ones, and the last row of a chunk wins a repeated key', async () => {
    await bulkInsert(pg.database, 'goods', objectSource([{ sku: 'UP-1', name: 'old', price: 1 }]));
    const result = await bulkUpsert(
      pg.database,
      'goods',
      objectSource([
        { sku: 'UP-1', name: 'new', price: 2 },
        { sku: 'UP-2', name: 'first', price: 3 },
        { sku: 'UP-2', name: 'last', price: 4 },
      ]),
      { key: ['sku'] },
    );
    expect(result.error).toBeUndefined();
    const { rows } = await sql<{ sku: string; name: string }>`SELECT sku, name FROM goods WHERE sku LIKE 'UP-%' ORDER BY sku`.execute(db);
    expect(rows).toEqual([
      { sku: 'UP-1', name: 'new' },
      { sku: 'UP-2', name: 'last' },
    ]);
  });

  it('a rerun with the same load id skips the committed chunks: no duplicates, no gaps', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ sku: `RS-${i}`, name: `r${i}`, price: i }));
    let failAt = 450;
    async function* flaky() {
      for (const [i, row] of rows.entries()) {
        if (i === failAt) throw new Error('simulated crash');
        yield row;
      }
    }
    const first = await bulkInsert(pg.database, 'goods', objectSource(flaky()), { loadId: 'resume-1', chunkRows: 100 });
    expect(first.error).toBeDefined();
    expect(first.rows).toBe(400);
    failAt = -1;
    const second = await bulkInsert(pg.database, 'goods', objectSource(flaky()), { loadId: 'resume-1', chunkRows: 100 });
    expect(second).toMatchObject({ rows: 600, skipped: 400 });
    expect(await count(sql`sku LIKE 'RS-%'`)).toBe(1000);
    // The load finished: run again (here after its rows were deleted) it loads every row again, skipping none.
    await sql`DELETE FROM goods WHERE sku LIKE 'RS-%'`.execute(db);
    const third = await bulkInsert(pg.database, 'goods', objectSource(rows), { loadId: 'resume-1', chunkRows: 100 });
    expect(third).toMatchObject({ rows: 1000, skipped: 0 });
    expect(await count(sql`sku LIKE 'RS-%'`)).toBe(1000);
  });

  it('a rerun skips exactly the chunks that committed, even when a later chunk committed before an earlier one', async () => {
    // Parallel chunks commit as they finish: a crash can leave lines 101-200 and 301-400 committed and 1-100 not.
    const rows = Array.from({ length: 400 }, (_, i) => ({ sku: `OO-${i + 1}`, name: `o${i + 1}`, price: i + 1 }));
    expect(await bulkInsert(pg.database, 'goods', objectSource([...rows.slice(100, 200), ...rows.slice(300, 400)]))).toMatchObject({ rows: 200 });
    const identity = await introspect(db).storageIdentity('public', 'goods');
    await sql`INSERT INTO strata.bulk_chunks (load_id, first_line, last_line, rows, table_identity)
      VALUES ('out-of-order', 101, 200, 100, ${identity}), ('out-of-order', 301, 400, 100, ${identity})`.execute(db);
    await sql`INSERT INTO strata.bulk_loads (load_id, table_name, lines_done, rows_done) VALUES ('out-of-order', 'goods', 400, 200)`.execute(db);
    const rerun = await bulkInsert(pg.database, 'goods', objectSource(rows), { loadId: 'out-of-order', chunkRows: 30 });
    expect(rerun.error).toBeUndefined();
    expect(rerun).toMatchObject({ rows: 200, skipped: 200 });
    expect(await count(sql`sku LIKE 'OO-%'`)).toBe(400);
    const { rows: status } = await sql<{
      status: string;
      rows_done: string;
    }>`SELECT status, rows_done::text FROM strata.bulk_loads WHERE load_id = 'out-of-order'`.execute(db);
    expect(status[0]).toEqual({ status: 'done', rows_done: '400' });
  });

  it('parallel chunks of an upsert merge in input order: the last row of a key wins across chunks', async () => {
    // 40 chunks of 25 rows on 4 connections at once; each of the 50 keys appears in 20 different chunks.
    const input = Array.from({ length: 1000 }, (_, i) => ({ sku: `PU-${i % 50}`, name: `v${i}`, price: i }));
    const result = await bulkUpsert(pg.database, 'goods', objectSource(input), { key: ['sku'], chunkRows: 25, parallel: 4 });
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ rows: 1000, chunks: 40 });
    const { rows } = await sql<{ sku: string; name: string }>`SELECT sku, name FROM goods WHERE sku LIKE 'PU-%'`.execute(db);
    expect(rows).toHaveLength(50);
    for (const row of rows) expect(row.name).toBe(`v${950 + Number(row.sku.slice(3))}`);
  });

  it('a failing chunk stops a parallel load: no later chunk commits (one in flight is rolled back), the source is not read on, no connection or transaction is left open', async () => {
    // 100-row chunks on 3 connections; line 151 (chunk 2) is bad. Another session holds uncommitted rows with keys of
    // chunks 2 and 3, so both are in flight when the source pauses after line 300; the rows are released one at a time:
    // chunk 2 fails while chunk 3 still waits, then chunk 3 may go on (to roll back). The source would go on to line 2000.
    const inUse = () => {
      const stats = pg.database.poolStats();
      return stats.total - stats.idle;
    };
    const waitingOnLocks = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db))
        .rows[0]?.n ?? 0;
    const until = async (what: string, ready: () => boolean | Promise<boolean>) => {
      for (let tries = 0; !(await ready()); tries++) {
        if (tries > 1000) throw new Error(`timed out waiting until ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const held: Client[] = [];
    const hold = async (sku: string) => {
      const holder = await pg.rawClient();
      await holder.query('BEGIN');
      await holder.query("INSERT INTO goods (sku, name, price) VALUES ($1, 'held', 0)", [sku]);
      held.push(holder);
      return holder;
    };
    const source = (prefix: string, paused: () => Promise<void>, read: { lines: number }, price = (i: number) => (i === 150 ? -1 : i)) =>
      objectSource(
        (async function* () {
          for (let i = 0; i < 2000; i++) {
            if (i === 300) await paused();
            read.lines = i + 1;
            yield { sku: `${prefix}${i}`, name: 'l', price: price(i) };
          }
        })(),
      );
    const committed = async (prefix: string) =>
      (
        await sql<{ line: number }>`SELECT substr(sku, ${prefix.length + 1})::int + 1 AS line FROM goods WHERE sku LIKE ${`${prefix}%`} ORDER BY 1`.execute(db)
      ).rows.map((r) => r.line);
    const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    try {
      // Insert: chunks commit as they finish. COPY checks a row's CHECK constraints as it reads it but its unique keys
      // only when it writes its buffered rows: line 151's key is taken by a committed row, so chunk 2 fails at that
      // key, after waiting at line 121's; chunk 3 waits at line 251's.
      await sql`INSERT INTO goods (sku, name, price) VALUES ('LKI-150', 'taken', 0)`.execute(db);
      const [first, second] = [await hold('LKI-120'), await hold('LKI-250')];
      const insertRead = { lines: 0 };
      const insert = await bulkInsert(
        pg.database,
        'goods',
        source(
          'LKI-',
          async () => {
            await until('chunks 2 and 3 wait on the held rows', async () => inUse() === 2 && (await waitingOnLocks()) === 2);
            await first.query('ROLLBACK');
            await until('chunk 2 failed', () => inUse() === 1);
            await second.query('ROLLBACK');
          },
          insertRead,
          (i) => i,
        ),
        { chunkRows: 100, parallel: 3 },
      );
      expect(insert.error?.message).toMatch(/^line 151: unique constraint violated/);
      expect(await committed('LKI-')).toEqual([...lines(1, 100), 151]);
      expect(insert.rows).toBe(100);
      // The line read after the pause is the last: the producer stops at the failure.
      expect(insertRead.lines).toBe(301);

      // Upsert: merges commit in input order. Chunk 2's merge waits at line 121 (before line 151's CHECK) while
      // chunk 3 is staged and waits for chunk 2.
      const third = await hold('LKU-120');
      const upsertRead = { lines: 0 };
      const upsert = await bulkUpsert(
        pg.database,
        'goods',
        source(
          'LKU-',
          async () => {
            await until("chunk 2's merge waits on the held row, chunk 3 on chunk 2", async () => inUse() === 2 && (await waitingOnLocks()) === 1);
            await third.query('ROLLBACK');
            await until('chunks 2 and 3 ended', () => inUse() === 0);
          },
          upsertRead,
        ),
        { key: ['sku'], chunkRows: 100, parallel: 3 },
      );
      expect(upsert.error?.message).toMatch(/^line 151: check constraint violated/);
      expect(await committed('LKU-')).toEqual(lines(1, 100));
      expect(upsert.rows).toBe(100);
      expect(upsertRead.lines).toBe(301);
    } finally {
      for (const holder of held) await holder.query('ROLLBACK');
    }

    expect(inUse()).toBe(0);
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`.execute(db);
    expect(rows[0]?.n).toBe(0);
  });

  it('a chunk whose server is behind ends early and the next one starts on a free connection; every line lands once', async () => {
    // Another session holds a lock that makes every COPY into `slow` wait: the first chunk's buffer fills
    // (the server is behind), so the loader ends that chunk and starts one on the second connection.
    await sql`CREATE TABLE slow (n int PRIMARY KEY, pad text NOT NULL)`.execute(db);
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ n: i + 2, pad: 'x'.repeat(400) }));
    const file = join(dir, 'slow.csv');
    await writeFile(file, `n,pad\n${rows.map((r) => `${r.n},${r.pad}\n`).join('')}`);
    const waiting = async () =>
      (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY%'`.execute(db)
      ).rows[0]?.n ?? 0;
    for (const [loadId, source, firstLine] of [
      ['slow-objects', () => objectSource(rows), 1],
      ['slow-csv', () => csvFile(createReadStream(file)), 2],
    ] as const) {
      await sql`TRUNCATE slow`.execute(db);
      const holder = await pg.rawClient();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE slow IN SHARE MODE');
      const loading = bulkInsert(pg.database, 'slow', source(), { parallel: 2, loadId });
      // Both connections end up waiting on the lock: one chunk was cut short (without the early end: only one ever waits).
      for (let tries = 0; tries < 200 && (await waiting()) < 2; tries++) await new Promise((r) => setTimeout(r, 50));
      const waited = await waiting();
      await holder.query('COMMIT');
      const result = await loading;
      expect(result.error).toBeUndefined();
      expect(waited).toBe(2);
      expect(result.rows).toBe(20_000);
      expect(result.chunks).toBeGreaterThan(1);
      const loaded = await sql<{ n: number; sum: string }>`SELECT count(*)::int AS n, sum(n)::text AS sum FROM slow`.execute(db);
      expect(loaded.rows[0]).toEqual({ n: 20_000, sum: String((20_000 * 20_003) / 2) });
      // The recorded ranges (what a rerun skips) cover the input's lines exactly once.
      const ranges = await sql<{ first_line: number; last_line: number; rows: number }>`SELECT first_line::int, last_line::int, rows::int
        FROM strata.bulk_chunks WHERE load_id = ${loadId} ORDER BY first_line`.execute(db);
      expect(ranges.rows).toHaveLength(result.chunks);
      let next: number = firstLine;
      for (const range of ranges.rows) {
        expect(range.first_line).toBe(next);
        expect(range.rows).toBe(range.last_line - range.first_line + 1);
        next = range.last_line + 1;
      }
      expect(next).toBe(firstLine + 20_000);
    }
  });

  it("an upsert merge that fails is traced to the row's line; a failure two rows cause together names both", async () => {
    await sql`CREATE TABLE members (id bigserial PRIMARY KEY, handle text NOT NULL UNIQUE, email text NOT NULL UNIQUE, age int CHECK (age >= 0))`.execute(db);
    await sql`INSERT INTO members (handle, email, age) VALUES ('m-7', 'm7@x', 1)`.execute(db);
    const input = Array.from({ length: 1000 }, (_, i) => ({ handle: `m-${i}`, email: `m${i}@x`, age: i }));
    // Line 8 updates the existing m-7 to a negative age: COPY into the staging table cannot see the CHECK, the merge does.
    const bad = input.map((r, i) => (i === 7 ? { ...r, age: -1 } : r));
    const one = await bulkUpsert(pg.database, 'members', objectSource(bad), { key: ['handle'] });
    expect(one.error?.code).toBe('BULK_BAD_ROW');
    expect(one.error?.message).toMatch(/^line 8: check constraint violated/);
    // A key repeated later in the chunk: only the row that wins is merged, so the earlier bad row is no error.
    const superseded = [...bad, { handle: 'm-7', email: 'm7@x', age: 3 }];
    expect((await bulkUpsert(pg.database, 'members', objectSource(superseded), { key: ['handle'] })).error).toBeUndefined();
    expect((await sql<{ age: number }>`SELECT age FROM members WHERE handle = 'm-7'`.execute(db)).rows[0]?.age).toBe(3);
    // Lines 301 and 701 are new handles sharing one email: neither fails alone.
    const pair = input.map((r, i) => (i === 300 || i === 700 ? { handle: `new-${i}`, email: 'same@x', age: 1 } : r));
    const together = await bulkUpsert(pg.database, 'members', objectSource(pair), { key: ['handle'] });
    expect(together.error?.message).toMatch(/^lines 301-701: unique constraint violated/);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM members WHERE email = 'same@x'`.execute(db)).rows[0]?.n).toBe(0);
  });

  it("a row refused by a table's trigger is named by its COPY line, not the trigger function's line", async () => {
    await sql`CREATE TABLE guarded (n int NOT NULL)`.execute(db);
    await sql`CREATE FUNCTION guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.n = 13 THEN
          RAISE EXCEPTION 'no thirteen';
        END IF;
        RETURN NEW;
      END $$`.execute(db);
    await sql`CREATE TRIGGER guarded_guard BEFORE INSERT ON guarded FOR EACH ROW EXECUTE FUNCTION guard()`.execute(db);
    const rows = Array.from({ length: 20 }, (_, i) => ({ n: i + 1 }));
    const result = await bulkInsert(pg.database, 'guarded', objectSource(rows));
    expect(result.error?.message).toMatch(/^line 13: /);
  });

  it("loads and exports that outlast the pool's statement timeout still finish (a COPY lasts as long as its source or reader)", async () => {
    const strict = await openPostgres(pg.url, { max: 3, statementTimeoutMs: 300 });
    try {
      await sql`CREATE TABLE patient (n int PRIMARY KEY)`.execute(db);
      async function* slowly() {
        for (let n = 1; n <= 10; n++) {
          await new Promise((r) => setTimeout(r, 80));
          yield { n };
        }
      }
      for (const load of [
        () => bulkInsert(strict, 'patient', objectSource(slowly())),
        () => bulkUpsert(strict, 'patient', objectSource(slowly()), { key: ['n'] }),
      ]) {
        const result = await load();
        expect(result.error).toBeUndefined();
        expect(result.rows).toBe(10);
      }
      // Each row costs the server 80 ms: the export's one COPY statement runs 800 ms.
      let exported = 0;
      await pipeline(
        await exportRows(strict, 'patient', { where: 'pg_sleep(0.08) IS NOT NULL', onRows: (n) => (exported = n) }),
        createWriteStream('/dev/null'),
      );
      expect(exported).toBe(10);
      // The pool's own queries keep their timeout.
      await expect(sql`SELECT pg_sleep(1)`.execute(strict.db)).rejects.toThrow();
    } finally {
      await strict.close();
    }
  });

  it('parallel: 1 loads one chunk after another: each chunk starts after the one before it committed', async () => {
    // A row trigger records how many rows of other transactions the row's insert sees: one chunk after another, a
    // chunk's rows see exactly the chunks before it (a chunk started while the one before it was still open sees fewer).
    await sql`CREATE TABLE one_by_one (n int PRIMARY KEY, seen int)`.execute(db);
    await sql`CREATE FUNCTION one_by_one_seen() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.seen := (SELECT count(*) FROM one_by_one WHERE xmin <> pg_current_xact_id()::xid);
        RETURN NEW;
      END $$`.execute(db);
    await sql`CREATE TRIGGER one_by_one_seen BEFORE INSERT ON one_by_one FOR EACH ROW EXECUTE FUNCTION one_by_one_seen()`.execute(db);
    const input = Array.from({ length: 500 }, (_, i) => ({ n: i + 1 }));
    expect(await bulkInsert(pg.database, 'one_by_one', objectSource(input), { chunkRows: 100, parallel: 1 })).toMatchObject({ rows: 500, chunks: 5 });
    const { rows } = await sql<{ n: number; seen: number }>`SELECT n, seen FROM one_by_one ORDER BY n`.execute(db);
    expect(rows).toEqual(input.map(({ n }) => ({ n, seen: Math.floor((n - 1) / 100) * 100 })));
  });

  it('works with soft deletes and history: loads go to the base table; each row a chunk inserts or changes gets one version, a row an upsert leaves unchanged none', async () => {
    await sql`CREATE TABLE tools (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), sku text NOT NULL UNIQUE, name text NOT NULL, version int NOT NULL DEFAULT 1)`.execute(
      db,
    );
    await enableSoftDelete(db, { table: 'tools' });
    await enableHistory(db, { table: 'tools' });
    const rows = Array.from({ length: 500 }, (_, i) => ({ sku: `T-${i}`, name: 't' }));
    expect(await bulkInsert(pg.database, 'tools', objectSource(rows), { chunkRows: 200 })).toMatchObject({ rows: 500, chunks: 3 });
    await sql`DELETE FROM tools WHERE sku = 'T-1'`.execute(db);
    const up = await bulkUpsert(
      pg.database,
      'tools',
      objectSource([
        { sku: 'T-1', name: 'back' },
        { sku: 'T-2', name: 't' },
        { sku: 'T-3', name: 'changed' },
      ]),
      { key: ['sku'] },
    );
    expect(up.error).toBeUndefined();
    const live = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tools`.execute(db);
    expect(live.rows[0]?.n).toBe(500);
    // Per row (T-1's key was free again after its delete: the upsert inserted a new live row beside the deleted one).
    const history = await sql<{ row: string; operations: string[] }>`
      SELECT t.sku || CASE WHEN t.deleted_at IS NULL THEN '' ELSE ' (deleted)' END AS row, array_agg(h.operation ORDER BY h.version) AS operations
        FROM tools_all t JOIN tools_history h ON h.row_id = t.id GROUP BY t.id`.execute(db);
    const byRow = new Map(history.rows.map((r) => [r.row, r.operations]));
    expect(byRow.size).toBe(501);
    expect(['T-1 (deleted)', 'T-1', 'T-2', 'T-3', 'T-4'].map((row) => byRow.get(row))).toEqual([
      ['insert', 'delete'],
      ['insert'],
      ['insert'],
      ['insert', 'update'],
      ['insert'],
    ]);
    expect(history.rows.filter((r) => r.operations.join() === 'insert')).toHaveLength(499);
  });

  it('exports live rows as CSV and NDJSON that load back identically', async () => {
    const csvOut = join(dir, 'out.csv');
    let exported = 0;
    await pipeline(await exportRows(pg.database, 'goods', { where: "sku LIKE 'RS-%'", onRows: (n) => (exported = n) }), createWriteStream(csvOut));
    expect(exported).toBe(1000);
    const text = await readFile(csvOut, 'utf8');
    expect(text.split('\n')[0]).toBe('id,sku,name,price,tags,meta,made_at,version');
    const ndOut = join(dir, 'out.ndjson');
    await pipeline(await exportRows(pg.database, 'goods', { format: 'ndjson', where: "sku = 'O-1'" }), createWriteStream(ndOut));
    const back = JSON.parse((await readFile(ndOut, 'utf8')).trim());
    expect(back).toMatchObject({ sku: 'O-1', tags: ['a', 'b c', 'd"e'], meta: { k: [1, 'x\\y'] } });
    expect(back.name).toContain('back\\slash');
    const stream = Readable.from(['sku,name,price\n', 'E-1,e,1\n']);
    expect(await bulkInsert(pg.database, 'goods', csvSource(stream))).toMatchObject({ rows: 1 });
  });
});

describe('CSV files straight into COPY (FORMAT csv)', () => {
  it('loads quoted fields, embedded newlines and NULLs (LF or CRLF files); a bad record names its line; a rerun resumes', async () => {
    const { csvFile } = await import('../../src/bulk/index.js');
    const db = pg.database.db;
    await sql`CREATE TABLE IF NOT EXISTS raw_goods (sku text PRIMARY KEY, name text NOT NULL, price bigint NOT NULL, note text)`.execute(db);
    const text = 'sku,name,price,note\nF-1,"Comma, and ""quote""",1,\nF-2,"two\nlines",2,""\nF-3,plain,3,x\n';
    const ok = await bulkInsert(pg.database, 'raw_goods', csvFile(Readable.from([Buffer.from(text.slice(0, 25)), Buffer.from(text.slice(25))])));
    expect(ok).toMatchObject({ rows: 3, chunks: 1 });
    const { rows } = await sql<{ sku: string; name: string; note: string | null }>`SELECT sku, name, note FROM raw_goods ORDER BY sku`.execute(db);
    expect(rows).toEqual([
      { sku: 'F-1', name: 'Comma, and "quote"', note: null },
      { sku: 'F-2', name: 'two\nlines', note: '' },
      { sku: 'F-3', name: 'plain', note: 'x' },
    ]);
    const crlf = await bulkInsert(pg.database, 'raw_goods', csvFile(Readable.from([Buffer.from('sku,name,price\r\nW-1,"win\r\ndows",1\r\nW-2,b,2\r\n')])));
    expect(crlf).toMatchObject({ rows: 2 });
    const bad = 'sku,name,price\nG-1,a,1\nG-2,"multi\nline",2\nG-3,c,oops\nG-4,d,4\n';
    const failed = await bulkInsert(pg.database, 'raw_goods', csvFile(Readable.from([bad])), { chunkRows: 2, loadId: 'raw-bad' });
    expect(failed.rows).toBe(2);
    expect(failed.error?.message).toMatch(/^line 5, column price: /);
    const fixed = bad.replace('oops', '3');
    const resumed = await bulkInsert(pg.database, 'raw_goods', csvFile(Readable.from([fixed])), { chunkRows: 2, loadId: 'raw-bad' });
    expect(resumed).toMatchObject({ rows: 2, skipped: 2 });
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM raw_goods WHERE sku LIKE 'G-%'`.execute(db)).rows[0]?.n).toBe(4);
  });
});
