import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { defineMigration, type MigrationEvent, type NamedMigration, startMigration } from '../../src/migrate/index.js';
import { usePostgres } from '../support/postgres.js';

describe('concurrent runners', () => {
  const pg = usePostgres({ max: 12 });

  it('three runners started at once: one runs the migration (with a concurrent index build), the others wait and find nothing to do; no deadlock', async () => {
    const db = pg.database.db;
    await sql`CREATE TABLE r1 (id bigint PRIMARY KEY, v integer NOT NULL)`.execute(db);
    await sql`INSERT INTO r1 SELECT g, g FROM generate_series(1, 20000) g`.execute(db);
    const migration: NamedMigration = {
      name: '0001_r1',
      migration: defineMigration({
        operations: [
          { op: 'add_column', table: 'r1', column: { name: 'w', type: 'bigint', nullable: false }, up: 'v * 2' },
          { op: 'create_index', table: 'r1', name: 'r1_w', columns: ['w'] },
        ],
      }),
    };
    const results = await Promise.all([0, 1, 2].map(() => startMigration(db, [migration], { pollMs: 50 })));
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    expect(results.map((r) => r.migrations.length).sort()).toEqual([0, 0, 1]);
    expect((await sql`SELECT count(*)::int AS n FROM r1 WHERE w = v * 2`.execute(db)).rows).toEqual([{ n: 20000 }]);
    expect((await sql`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'r1_w'::regclass`.execute(db)).rows).toEqual([{ valid: true }]);
  });
});

describe('a blocking session', () => {
  const pg = usePostgres({ max: 12 });

  it('an idle-in-transaction session holding a lock: the migration retries, reports the blocker, and traffic is never queued longer than lock_timeout', async () => {
    const db = pg.database.db;
    await sql`CREATE TABLE r2 (id bigint PRIMARY KEY, v integer NOT NULL)`.execute(db);
    await sql`INSERT INTO r2 SELECT g, g FROM generate_series(1, 1000) g`.execute(db);
    const idle = await pg.rawClient();
    await idle.query('BEGIN');
    await idle.query('SELECT count(*) FROM r2');
    const idlePid = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const events: MigrationEvent[] = [];
    const migration: NamedMigration = {
      name: '0001_r2',
      migration: defineMigration({ operations: [{ op: 'add_column', table: 'r2', column: { name: 'note', type: 'text' } }] }),
    };
    const running = startMigration(db, [migration], { lockTimeoutMs: 200, onEvent: (e) => events.push(e) });
    // Application reads and writes keep going while the migration waits for its lock.
    const waits: number[] = [];
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const began = Date.now();
      await sql`UPDATE r2 SET v = v + 1 WHERE id = ${1 + (waits.length % 1000)}`.execute(db);
      waits.push(Date.now() - began);
    }
    expect(events.filter((e) => e.type === 'lock-wait').map((e) => (e.type === 'lock-wait' ? e.blockers : ''))).toContainEqual(
      expect.stringContaining(`pid ${idlePid}`),
    );
    await idle.query('COMMIT');
    const result = await running;
    expect(result.error).toBeUndefined();
    expect(waits.length).toBeGreaterThan(10);
    // Each write waits at most one lock_timeout (200 ms) behind a queued ALTER, plus scheduling slack.
    expect(Math.max(...waits)).toBeLessThan(200 + 800);
    expect(
      (
        await sql`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'r2' AND column_name = 'note'`.execute(
          db,
        )
      ).rows,
    ).toEqual([{ n: 1 }]);
  });
});
