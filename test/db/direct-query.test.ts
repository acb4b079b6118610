import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Database, directQuery, openPostgres, type QueryEvent } from '../../src/db/index.js';
import { usePostgres } from '../support/postgres.js';

const t = usePostgres();
const seen: QueryEvent[] = [];
let database: Database;

beforeAll(async () => {
  database = await openPostgres(t.url, { max: 1, observer: (e) => seen.push(e) });
});
afterAll(async () => {
  await database.close();
});

it('runs a statement on a pooled connection, observed and with errors translated as through Kysely', async () => {
  const run = directQuery(database.db);
  expect(run).toBeDefined();
  const query = run as NonNullable<typeof run>;
  expect(await query<{ n: bigint }>('SELECT $1::bigint * 2 AS n', [21n])).toEqual([{ n: 42n }]);
  expect(seen.at(-1)).toMatchObject({ sql: 'SELECT $1::bigint * 2 AS n', parameters: [21n] });
  await expect(query('SELECT 1 / $1::int', [0])).rejects.toMatchObject({ code: 'INVALID_DATA' });
  expect(seen.at(-1)?.error?.code).toBe('INVALID_DATA');
  // The connection went back to the pool (max 1): the next statement gets it.
  expect(await query<{ ok: boolean }>('SELECT true AS ok', [])).toEqual([{ ok: true }]);
});
