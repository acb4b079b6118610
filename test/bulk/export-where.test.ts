import { text } from 'node:stream/consumers';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportRows } from '../../src/bulk/index.js';
import { isStrataError } from '../../src/db/index.js';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

beforeAll(async () => {
  await sql`CREATE TABLE goods (id int PRIMARY KEY, name text NOT NULL, price bigint NOT NULL, "odd)col" int NOT NULL DEFAULT 1)`.execute(pg.database.db);
  await sql`INSERT INTO goods (id, name, price) VALUES (1, 'a)b', 5), (2, 'plain', 0), (3, 'it''s', 9)`.execute(pg.database.db);
  await sql`CREATE TABLE secrets (v text)`.execute(pg.database.db);
  await sql`INSERT INTO secrets VALUES ('hidden')`.execute(pg.database.db);
});

const ids = async (where: string) =>
  (await text(await exportRows(pg.database, 'goods', { format: 'ndjson', where })))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: number }).id)
    .sort();

const refusal = (where: string) =>
  exportRows(pg.database, 'goods', { where }).then(
    () => undefined,
    (err: unknown) => (isStrataError(err) ? { code: err.code, message: err.message } : err),
  );

describe('export --where (#20 point 16)', () => {
  it('export --where "price > 0) TO STDOUT; --" is refused with one line, not run as a text-format COPY', async () => {
    const result = await runCli(['export', 'goods', '--where', 'price > 0) TO STDOUT; --'], { DATABASE_URL: pg.url });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^strata: the where condition must be one SQL expression, e\.g\. "price > 1000": .*\n$/);
  });

  it('a condition cannot change the statement it is put in', async () => {
    for (const where of [
      'price > 0) TO STDOUT; --',
      'true) UNION SELECT 1, v, 0, 0 FROM secrets WHERE (true',
      'price > 0; DROP TABLE goods',
      'price > 0 -- and the rest',
      'price > 0 /* ) */',
      "name = 'unclosed",
      'price > ((1)',
      '   ',
    ]) {
      expect(await refusal(where), where).toMatchObject({ code: 'BULK_WHERE_INVALID' });
    }
    expect(await ids('true')).toEqual([1, 2, 3]);
  });

  it('quotes, quoted identifiers, dollar quotes and subqueries stay one condition; OR keeps its meaning', async () => {
    expect(await ids("name = 'a)b'")).toEqual([1]);
    expect(await ids("name = 'it''s' OR name = E'a)b\\''")).toEqual([3]);
    expect(await ids('"odd)col" = 1 AND price > 4')).toEqual([1, 3]);
    expect(await ids('name = $$a)b$$ OR name = $t$plain$t$')).toEqual([1, 2]);
    expect(await ids('price > (SELECT min(price) FROM goods)')).toEqual([1, 3]);
    expect(await ids('price = 0 OR price = 9')).toEqual([2, 3]);
  });

  it('a condition naming a missing column fails before any output, naming the column', async () => {
    expect(await refusal('prise > 0')).toMatchObject({ code: 'BULK_WHERE_INVALID', message: expect.stringContaining('prise') });
    const result = await runCli(['export', 'goods', '--where', 'prise > 0'], { DATABASE_URL: pg.url });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^strata: the where condition fails: .*prise.*\n$/);
  });
});
