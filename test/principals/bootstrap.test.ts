import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { authenticate, bootstrapAdmin, SCOPES } from '../../src/principals/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres({ max: 12 });

describe('bootstrapAdmin', () => {
  it('on a fresh database exactly one of many concurrent starters creates admin and gets a token with every scope; later calls do nothing', async () => {
    const db = pg.database.db;
    const results = await Promise.all(Array.from({ length: 8 }, () => bootstrapAdmin(db)));
    const issued = results.filter((r) => r !== undefined);
    expect(issued).toHaveLength(1);
    const token = issued[0]?.token ?? '';
    expect(await authenticate(db, `Bearer ${token}`)).toMatchObject({ ok: true, principal: { name: 'admin', scopes: [...SCOPES] } });
    expect(await bootstrapAdmin(db)).toBeUndefined();
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM strata.api_tokens`.execute(db);
    expect(rows[0]?.n).toBe(1);
  });
});
