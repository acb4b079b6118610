import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { bulkInsert, csvSource } from '../../src/bulk/index.js';
import { runCli, startCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();
const ROWS = 200_000;

async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('sku,name,price,note\n');
  for (let i = 0; i < ROWS; i++) {
    if (!out.write(`K-${i},"Name ${i}, with comma",${i * 7},${i % 5 === 0 ? '' : `note ${i}`}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

const checksum = async (table: string) =>
  (
    await sql<{
      n: number;
      sum: string;
    }>`SELECT count(*)::int AS n, md5(string_agg(sku || '|' || name || '|' || price || '|' || coalesce(note, '<null>'), ',' ORDER BY sku COLLATE "C")) AS sum FROM ${sql.table(table)}`.execute(
      pg.database.db,
    )
  ).rows[0];

describe('strata load', () => {
  let dir: string;
  let csv: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-load-'));
    csv = join(dir, 'items.csv');
    await writeCsv(csv);
    for (const table of ['items', 'items_reference']) {
      await sql`CREATE TABLE ${sql.table(table)} (id bigserial PRIMARY KEY, sku text NOT NULL UNIQUE, name text NOT NULL, price bigint NOT NULL, note text)`.execute(
        pg.database.db,
      );
    }
    const { createReadStream } = await import('node:fs');
    const reference = await bulkInsert(pg.database, 'items_reference', csvSource(createReadStream(csv)));
    expect(reference).toMatchObject({ rows: ROWS });
  }, 120_000);

  it('killed with SIGKILL at a random point and rerun: exactly the rows of the file (checksum), no duplicates, no gaps', async () => {
    const env = { DATABASE_URL: pg.url };
    const first = startCli(['load', 'items', csv, '--chunk-rows', '5000'], env);
    const killAfter = 5 + Math.floor(Math.random() * 200);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(async () => {
        const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM items`.execute(pg.database.db);
        if ((rows[0]?.n ?? 0) >= 5000) {
          clearInterval(timer);
          setTimeout(resolve, killAfter);
        }
      }, 10);
      first.exited.then((r) => {
        clearInterval(timer);
        reject(new Error(`load finished before it was killed: ${r.stdout}${r.stderr}`));
      });
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const partial = await checksum('items');
    expect(partial?.n).toBeGreaterThan(0);
    expect(partial?.n).toBeLessThan(ROWS);
    const rerun = await runCli(['load', 'items', csv, '--chunk-rows', '5000'], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(new RegExp(`loaded items: ${ROWS - (partial?.n ?? 0)} rows committed, ${partial?.n} already loaded by an earlier run`));
    expect(await checksum('items')).toEqual(await checksum('items_reference'));
  }, 180_000);

  it('a malformed line stops the load with its line number; --reject-file sets it aside and goes on', async () => {
    const bad = join(dir, 'bad.csv');
    await (await import('node:fs/promises')).writeFile(bad, 'sku,name,price\nZ-1,a,1\nZ-2,b,oops\nZ-3,c,3\n');
    const env = { DATABASE_URL: pg.url };
    const stopped = await runCli(['load', 'items', bad], env);
    expect(stopped.code).not.toBe(0);
    const reasons = stopped.stderr.split('\n').filter((l) => l.startsWith('strata:'));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^strata: line 3, column price: .*rerun the same command to resume\)$/);
    const rejects = join(dir, 'rejects.csv');
    const goOn = await runCli(['load', 'items', bad, '--reject-file', rejects, '--load-id', 'bad-2'], env);
    expect(goOn.code, goOn.stderr).toBe(0);
    expect(goOn.stdout).toContain('2 rows committed, 1 rejected');
    expect(await readFile(rejects, 'utf8')).toContain('Z-2,b,oops');
  });

  it('--reject-file: reasons beside each row, a finished load run again rejects its bad rows again, every row rejected exits non-zero (#20 point 15)', async () => {
    const { writeFile } = await import('node:fs/promises');
    const env = { DATABASE_URL: pg.url };
    const input = join(dir, 'half-bad.csv');
    await writeFile(input, 'sku,name,price\nR-1,a,1\nR-2,b,oops\nR-3,c,\nR-4,d,4\n');
    const rejects = join(dir, 'half-bad.rejects.csv');
    const first = await runCli(['load', 'items', input, '--reject-file', rejects], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`loaded items: 2 rows committed, 2 rejected to ${rejects} (reasons in ${rejects}.reasons)\n`);
    expect(await readFile(rejects, 'utf8')).toBe('sku,name,price\nR-2,b,oops\nR-3,c,\n');
    const reasons = (await readFile(`${rejects}.reasons`, 'utf8')).trimEnd().split('\n');
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^line 3, column price: .*invalid input syntax for type bigint: "oops"/);
    expect(reasons[1]).toMatch(/^line 4(, column price)?: .*price/);

    // The reject file is the input's format (header first): fixed, it loads.
    const fixedFile = join(dir, 'half-bad.fixed.csv');
    await writeFile(fixedFile, (await readFile(rejects, 'utf8')).replace('oops', '2').replace('R-3,c,', 'R-3,c,3'));
    const fixed = await runCli(['load', 'items', fixedFile], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toBe('loaded items: 2 rows committed\n');

    // The load finished: run again into the emptied rows, it loads them again and sets the bad rows aside again.
    await sql`DELETE FROM items WHERE sku LIKE 'R-%'`.execute(pg.database.db);
    const rerun = await runCli(['load', 'items', input, '--reject-file', rejects], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toBe(`loaded items: 2 rows committed, 2 rejected to ${rejects} (reasons in ${rejects}.reasons)\n`);
    expect(await readFile(rejects, 'utf8')).toBe('sku,name,price\nR-2,b,oops\nR-3,c,\nR-2,b,oops\nR-3,c,\n');

    const allBad = join(dir, 'all-bad.csv');
    await writeFile(allBad, 'sku,name,price\nB-1,a,x\nB-2,b,y\n');
    const none = await runCli(['load', 'items', allBad, '--reject-file', join(dir, 'all-bad.rejects.csv')], env);
    expect(none.code).not.toBe(0);
    expect(none.stdout).toBe('');
    const reason = none.stderr.split('\n').filter((l) => l.startsWith('strata:'));
    expect(reason).toHaveLength(1);
    expect(reason[0]).toMatch(/^strata: nothing loaded into items: every row was rejected \(0 rows committed, 2 rejected to .*\.reasons$/);
    const noneAgain = await runCli(['load', 'items', allBad, '--reject-file', join(dir, 'all-bad.rejects.csv')], env);
    expect(noneAgain.code).not.toBe(0);
    expect(noneAgain.stderr).toMatch(/every row was rejected \(0 rows committed, 2 rejected to /);
  });

  it('an edited file is not resumed as the old one: a new size or a new modification time starts a new load', async () => {
    const env = { DATABASE_URL: pg.url };
    const file = join(dir, 'edited.csv');
    const { stat, utimes, writeFile } = await import('node:fs/promises');
    const count = async (prefix: string) =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM items WHERE sku LIKE ${`${prefix}%`}`.execute(pg.database.db)).rows[0]?.n;
    // Each time: a first run commits lines 2-3 and stops at line 4; the file is then edited and the same command rerun.
    for (const [first, edited, keepMtime] of [
      ['sku,name,price\nEA-1,a,1\nEA-2,b,2\nEA-3,c,x\nEA-4,d,4\n', 'sku,name,price\nFA-1,a,1\nFA-2,b,2\nFA-3,c,3\nFA-4,d,4\n', false],
      ['sku,name,price\nEB-1,a,1\nEB-2,b,2\nEB-3,c,x\nEB-4,d,4\n', 'sku,name,price\nFB-1,a,1\nFB-2,b,2\nFB-3,c,3\nFB-4,d,4\nFB-5,e,5\n', true],
    ] as const) {
      await writeFile(file, first);
      const at = new Date(keepMtime ? '2026-02-01T00:00:00Z' : '2026-01-01T00:00:00Z');
      await utimes(file, at, at);
      const before = await stat(file);
      const stopped = await runCli(['load', 'items', file, '--chunk-rows', '2'], env);
      expect(stopped.code).not.toBe(0);
      expect(stopped.stderr).toMatch(/^strata: line 4, column price: .*\(2 rows committed;/m);
      await writeFile(file, edited);
      // Same size and a later mtime, or another size with the old mtime: either alone must tell the files apart.
      await utimes(file, at, keepMtime ? at : new Date(at.getTime() + 60_000));
      const after = await stat(file);
      expect([after.size === before.size, after.mtimeMs === before.mtimeMs]).toEqual(keepMtime ? [false, true] : [true, false]);
      const rerun = await runCli(['load', 'items', file, '--chunk-rows', '2'], env);
      expect(rerun.code, rerun.stderr).toBe(0);
      const rows = edited.trim().split('\n').length - 1;
      expect(rerun.stdout.trim()).toBe(`loaded items: ${rows} rows committed`);
      expect(await count(keepMtime ? 'FB-' : 'FA-')).toBe(rows);
    }
  });

  it('export streams rows out', async () => {
    const out = join(dir, 'out.ndjson');
    const result = await runCli(['export', 'items_reference', '--format', 'ndjson', '--where', "sku LIKE 'K-1999%'", '--output', out], {
      DATABASE_URL: pg.url,
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(111);
    expect(JSON.parse(lines[0] ?? '{}')).toHaveProperty('sku');
  });
});
