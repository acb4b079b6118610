import { mkdtemp, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bulkInsert, objectSource } from '../../src/bulk/index.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

/** Reloads never skip a row: only an interrupted load resumes, and only into the table its chunks went into (#30). */
describe('reloading a file', () => {
  let dir: string;
  const env = () => ({ DATABASE_URL: pg.url });
  // By name, not id: a rerun's chunks commit on parallel connections, in either order.
  const rowsOf = async (table = 'tt') =>
    (await sql<{ name: string }>`SELECT name FROM ${sql.table(table)} ORDER BY name COLLATE "C"`.execute(pg.database.db)).rows.map((r) => r.name);
  const createTable = () => sql`CREATE TABLE tt (id bigserial PRIMARY KEY, name text NOT NULL, n int NOT NULL)`.execute(pg.database.db);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-reload-'));
  });
  beforeEach(async () => {
    await sql`DROP TABLE IF EXISTS tt`.execute(pg.database.db);
    await createTable();
  });

  it('into a truncated table, a recreated table, and once more as it is: every row loads each time', async () => {
    const file = join(dir, 'two.csv');
    await writeFile(file, 'name,n\na,1\nb,2\n');
    const load = () => runCli(['load', 'tt', file], env());
    const first = await load();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('loaded tt: 2 rows committed\n');

    await sql`TRUNCATE tt`.execute(pg.database.db);
    const afterTruncate = await load();
    expect(afterTruncate.code, afterTruncate.stderr).toBe(0);
    expect(afterTruncate.stdout).toBe('loaded tt: 2 rows committed\n');
    expect(await rowsOf()).toEqual(['a', 'b']);

    await sql`DROP TABLE tt`.execute(pg.database.db);
    await createTable();
    const afterRecreate = await load();
    expect(afterRecreate.stdout).toBe('loaded tt: 2 rows committed\n');
    expect(await rowsOf()).toEqual(['a', 'b']);

    // A finished load run twice loads twice, as psql's \copy would.
    const again = await load();
    expect(again.stdout).toBe('loaded tt: 2 rows committed\n');
    expect(await rowsOf()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('an interrupted load resumes into the same table, but loads every row again into a truncated or recreated one, or with --restart', async () => {
    const file = join(dir, 'four.csv');
    const bad = 'name,n\na,1\nb,2\nc,oops\nd,4\n';
    const good = bad.replace('oops', '3');
    // Each case: a first run commits lines 2-3 (one chunk) and stops at line 4; the file is fixed and the load rerun.
    const interrupted = async (loadId: string) => {
      await writeFile(file, bad);
      const stopped = await runCli(['load', 'tt', file, '--chunk-rows', '2', '--parallel', '1', '--load-id', loadId], env());
      expect(stopped.code).not.toBe(0);
      expect(stopped.stderr).toMatch(/^strata: line 4, column n: .*\(2 rows committed;/m);
      expect(await rowsOf()).toEqual(['a', 'b']);
      await writeFile(file, good);
    };
    const rerun = (loadId: string, ...extra: string[]) => runCli(['load', 'tt', file, '--chunk-rows', '2', '--load-id', loadId, ...extra], env());

    await interrupted('same-table');
    const resumed = await rerun('same-table');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe('loaded tt: 2 rows committed, 2 already loaded by an earlier run\n');
    expect(await rowsOf()).toEqual(['a', 'b', 'c', 'd']);

    await sql`TRUNCATE tt`.execute(pg.database.db);
    await interrupted('truncated');
    await sql`TRUNCATE tt`.execute(pg.database.db);
    const afterTruncate = await rerun('truncated');
    expect(afterTruncate.stdout).toBe('loaded tt: 4 rows committed\n');
    expect(await rowsOf()).toEqual(['a', 'b', 'c', 'd']);

    await sql`TRUNCATE tt`.execute(pg.database.db);
    await interrupted('recreated');
    await sql`DROP TABLE tt`.execute(pg.database.db);
    await createTable();
    const afterRecreate = await rerun('recreated');
    expect(afterRecreate.stdout).toBe('loaded tt: 4 rows committed\n');
    expect(await rowsOf()).toEqual(['a', 'b', 'c', 'd']);

    await sql`TRUNCATE tt`.execute(pg.database.db);
    await interrupted('restarted');
    await sql`DELETE FROM tt`.execute(pg.database.db);
    const restarted = await rerun('restarted', '--restart');
    expect(restarted.stdout).toBe('loaded tt: 4 rows committed\n');
    expect(await rowsOf()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('an edited file is a new load even with its size and modification time put back', async () => {
    const file = join(dir, 'edited.csv');
    await writeFile(file, 'name,n\na,1\nb,2\nc,x\nd,4\n');
    const at = new Date('2026-03-01T00:00:00Z');
    await utimes(file, at, at);
    const before = await stat(file);
    const stopped = await runCli(['load', 'tt', file, '--chunk-rows', '2', '--parallel', '1'], env());
    expect(stopped.stderr).toMatch(/\(2 rows committed;/);
    await writeFile(file, 'name,n\nA,1\nB,2\nC,3\nD,4\n');
    await utimes(file, at, at);
    const after = await stat(file);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    const rerun = await runCli(['load', 'tt', file, '--chunk-rows', '2'], env());
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toBe('loaded tt: 4 rows committed\n');
    expect(await rowsOf()).toEqual(['A', 'B', 'C', 'D', 'a', 'b']);
  });

  it('a resumed reject-mode load counts the rows an earlier run set aside as rejected by it', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ name: `r${i}`, n: i === 3 ? 'x' : i }));
    let crashAt = 25;
    async function* flaky() {
      for (const [i, row] of rows.entries()) {
        if (i === crashAt) throw new Error('simulated crash');
        yield row;
      }
    }
    const rejected: string[] = [];
    const options = { loadId: 'rejects-resumed', chunkRows: 10, onReject: (r: { raw: string }) => void rejected.push(r.raw) };
    const first = await bulkInsert(pg.database, 'tt', objectSource(flaky()), options);
    expect(first).toMatchObject({ rows: 19, rejected: 1 });
    expect(first.error?.message).toMatch(/simulated crash/);
    crashAt = -1;
    const second = await bulkInsert(pg.database, 'tt', objectSource(flaky()), options);
    expect(second).toMatchObject({ rows: 10, skipped: 19, rejected: 0, rejectedEarlier: 1 });
    expect(second.error).toBeUndefined();
    expect(rejected).toHaveLength(1);
    expect((await rowsOf()).length).toBe(29);
  });
});
