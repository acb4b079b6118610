import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableHistory } from '../../src/history/index.js';
import { type Strategy, upsert } from '../../src/upsert/index.js';
import { usePostgres } from '../support/postgres.js';
import { soakRounds } from '../support/soak.js';

const pg = usePostgres({ max: 64 });
const CONNECTIONS = 64;
/** 200 rounds in CI (STRATA_SOAK=full); the default is short but still fails on the races it is for (docs/upserts.md). */
const ROUNDS = soakRounds(200, 5);

describe.each(['native', 'merge', 'fallback'] as Strategy[])('%s: 64 connections upsert the same new key at once', (strategy) => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    db = pg.database.db;
    await sql`CREATE TABLE IF NOT EXISTS counters (id bigserial PRIMARY KEY, k text NOT NULL UNIQUE, n int NOT NULL, payload text NOT NULL, version int NOT NULL DEFAULT 1)`.execute(
      db,
    );
    await enableHistory(db, { table: 'counters' });
  });

  it(`${ROUNDS} rounds: 1 row per key, 0 errors reaching callers; an increment update lands exactly 64 times; 64 payloads leave one of them with one version per change`, async () => {
    const errors: unknown[] = [];
    let rounds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const increments = round % 2 === 0;
      const k = `${strategy}-${round}`;
      const results = await Promise.all(
        Array.from({ length: CONNECTIONS }, (_, i) =>
          upsert(
            db,
            'counters',
            { k, n: 1, payload: increments ? 'same' : `payload-${i}` },
            increments ? { key: ['k'], strategy, update: { n: ({ current }) => sql`${current('n')} + 1` } } : { key: ['k'], strategy, update: ['payload'] },
          ).catch((err: unknown) => {
            errors.push(err);
            return [];
          }),
        ),
      );
      const at = `round ${round}`;
      expect(errors, at).toEqual([]);
      const { rows } = await sql<{ id: string; n: number; payload: string }>`SELECT id::text, n, payload FROM counters WHERE k = ${k}`.execute(db);
      expect(rows, at).toHaveLength(1);
      const actions = results.map((r) => r[0]?.action);
      expect(
        actions.filter((a) => a === 'inserted'),
        at,
      ).toHaveLength(1);
      if (increments) {
        expect(rows[0]?.n, at).toBe(CONNECTIONS);
      } else {
        expect(
          Array.from({ length: CONNECTIONS }, (_, i) => `payload-${i}`),
          at,
        ).toContain(rows[0]?.payload);
        const effective = actions.filter((a) => a === 'inserted' || a === 'updated').length;
        const versions = await sql<{ n: number }>`SELECT count(*)::int AS n FROM counters_history WHERE row_id = ${rows[0]?.id}`.execute(db);
        expect(versions.rows[0]?.n, at).toBe(effective);
      }
      rounds++;
    }
    expect(rounds).toBe(ROUNDS);
  }, 600_000);
});
