import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openPostgres, preparedStatement } from '../../src/db/index.js';
import { usePostgres } from '../support/postgres.js';

const t = usePostgres();

const prepared = (db: Database) =>
  sql<{ name: string }>`SELECT name FROM pg_prepared_statements ORDER BY name`.execute(db.db).then((r) => r.rows.map((x) => x.name));

describe.each([
  ...(process.env.STRATA_TEST_PGBOUNCER === '1' ? [] : [{ mode: 'a direct connection', pooler: false, named: ['strata_test_twice'] }]),
  { mode: 'behind a pooler', pooler: true, named: [] },
])('statements marked with preparedStatement, on $mode', ({ pooler, named }) => {
  let database: Database;
  beforeAll(async () => {
    // One connection, so every statement below runs on the session whose prepared statements are listed.
    database = await openPostgres(t.url, { max: 1, pooler });
  });
  afterAll(async () => {
    await database.close();
  });

  it('answer as any statement; a direct connection keeps them as named statements, a pooled one never', async () => {
    const twice = (n: number) => sql<{ n: number }>`${sql.raw(preparedStatement('test_twice'))} SELECT ${n}::int * 2 AS n`.execute(database.db);
    expect((await twice(3)).rows).toEqual([{ n: 6 }]);
    expect((await twice(5)).rows).toEqual([{ n: 10 }]);
    await sql`SELECT 1`.execute(database.db);
    expect(await prepared(database)).toEqual(named);
  });

  it('a failing statement fails as itself and the next call works', async () => {
    const check = (n: number) => sql<{ n: number }>`${sql.raw(preparedStatement('test_check'))} SELECT 10 / ${n}::int AS n`.execute(database.db);
    await expect(check(0)).rejects.toMatchObject({ code: 'INVALID_DATA' });
    expect((await check(2)).rows).toEqual([{ n: 5 }]);
  });
});

it('preparedStatement refuses a name that is not lower case letters, digits and underscores', () => {
  expect(() => preparedStatement('x; DROP')).toThrow(RangeError);
});
