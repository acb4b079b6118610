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
