import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStrataError } from '../../src/db/index.js';
import { runCli, startCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';
import { soakRounds } from '../support/soak.js';

// The runner needs a session connection (advisory lock, concurrent builds): the server itself, never a pooler.
const pg = usePostgres({ max: 16 });
const ROWS = soakRounds(200_000, 40_000);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-migrate-crash-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A migration folder holding one declarative migration (a plain object: what defineMigration returns). */
async function folder(name: string, operations: readonly object[]): Promise<string> {
  const path = join(dir, name);
  await rm(path, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(path, { recursive: true }));
  await writeFile(join(path, `0001_${name}.mjs`), `export default ${JSON.stringify({ operations })};\n`);
  return path;
}

const env = () => ({ DATABASE_URL: pg.directUrl });
const one = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(pg.database.db)).rows[0] as T;

describe('kill -9 of strata migrate start, then run again', () => {
  it('during a backfill: the rerun resumes from the checkpoint (no batch visited twice) and every row is filled', async () => {
    await sql`CREATE TABLE k1 (id bigint PRIMARY KEY, v integer NOT NULL)`.execute(pg.database.db);
    await sql`INSERT INTO k1 SELECT g, g FROM generate_series(1, ${ROWS}) g`.execute(pg.database.db);
    await sql`ANALYZE k1`.execute(pg.database.db);
    const path = await folder('k1', [{ op: 'add_column', table: 'k1', column: { name: 'w', type: 'bigint', nullable: false }, up: 'v * 2' }]);
    const first = startCli(['migrate', 'start', '--dir', path, '--batch-size', '500', '--throttle', '20'], env());
    await first.waitFor(/backfill k1: [1-9]\d* rows/);
    first.child.kill('SIGKILL');
    await first.exited;
    const killed = await one(sql<{ rows: number; state: string }>`
      SELECT s.rows::int AS rows, m.state FROM strata.migration_steps s JOIN strata.migrations m USING (name) WHERE s.checkpoint IS NOT NULL`);
    expect(killed.state).toBe('starting');
    expect(killed.rows).toBeGreaterThan(0);
    expect(killed.rows).toBeLessThan(ROWS);
    const filled = await one(sql<{ n: number }>`SELECT count(*)::int AS n FROM k1 WHERE w IS NOT NULL`);
    expect(filled.n).toBeLessThan(ROWS);

    const rerun = await runCli(['migrate', 'start', '--dir', path, '--batch-size', '5000'], env());
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/0001_k1: start done/);
    // Each batch commits with its checkpoint, so the rows counted over both runs are the table's, once each.
    expect(await one(sql<{ rows: number }>`SELECT rows::int AS rows FROM strata.migration_steps WHERE checkpoint IS NOT NULL`)).toEqual({ rows: ROWS });
    expect(await one(sql<{ n: number }>`SELECT count(*)::int AS n FROM k1 WHERE w = v * 2`)).toEqual({ n: ROWS });
    const complete = await runCli(['migrate', 'complete', '--dir', path], env());
    expect(complete.code, complete.stderr).toBe(0);
    expect(
      await one(sql<{ nullable: string }>`SELECT is_nullable AS nullable FROM information_schema.columns WHERE table_name = 'k1' AND column_name = 'w'`),
    ).toEqual({
      nullable: 'NO',
    });
  }, 240_000);

  it('during a concurrent index build: the invalid index left behind is dropped and built again by the rerun', async () => {
    await sql`CREATE TABLE k2 (id bigint PRIMARY KEY, v integer NOT NULL)`.execute(pg.database.db);
    await sql`INSERT INTO k2 SELECT g, g % 1000 FROM generate_series(1, ${ROWS}) g`.execute(pg.database.db);
    const path = await folder('k2', [{ op: 'create_index', table: 'k2', name: 'k2_v', columns: ['v'] }]);
    // A transaction holding an old snapshot: CREATE INDEX CONCURRENTLY waits for it before the index becomes valid,
    // so the runner is certainly killed mid-build.
    const old = await pg.rawClient();
    await old.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await old.query('SELECT 1');
    try {
      const first = startCli(['migrate', 'start', '--dir', path], env());
      await first.waitFor(/0001_k2 start \d+: .*k2_v/);
      let building: number | undefined;
      for (let i = 0; i < 400 && building === undefined; i++) {
        const { rows } = await sql<{ pid: number }>`
          SELECT pid FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND datname = current_database()`.execute(pg.database.db);
        building = rows[0]?.pid;
        if (building === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(building).toBeDefined();
      first.child.kill('SIGKILL');
      await first.exited;
      // The runner's host died: its server session goes too (as TCP keepalive would end it later).
      await sql`SELECT pg_terminate_backend(${building})`.execute(pg.database.db);
      for (let i = 0; i < 400; i++) {
        const { rows } = await sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${building}`.execute(pg.database.db);
        if (rows.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(await one(sql<{ valid: boolean }>`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'k2_v'::regclass`)).toEqual({ valid: false });
      expect(await one(sql<{ state: string }>`SELECT state FROM strata.migrations WHERE name = '0001_k2'`)).toEqual({ state: 'starting' });
    } finally {
      await old.query('COMMIT');
      await old.end();
    }
    const rerun = await runCli(['migrate', 'start', '--dir', path], env());
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/0001_k2: start done/);
    expect((await sql`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'k2_v'::regclass`.execute(pg.database.db)).rows).toEqual([{ valid: true }]);
    expect(
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'k2' AND indexname LIKE 'k2_v%'`.execute(pg.database.db)).rows,
    ).toEqual([{ n: 1 }]);
    expect((await runCli(['migrate', 'complete', '--dir', path], env())).code).toBe(0);
  }, 240_000);
});

describe('rollback in the middle of a backfill', () => {
  it('a start killed mid-backfill while 8 connections write through the old version is rolled back: old shape, every acknowledged write there', async () => {
    const db = pg.database.db;
    await sql`CREATE TABLE k3 (id bigint PRIMARY KEY, qty integer NOT NULL, note text)`.execute(db);
    await sql`INSERT INTO k3 SELECT g, g % 100, 'n' || g FROM generate_series(1, ${ROWS}) g`.execute(db);
    const path = await folder('k3', [
      { op: 'alter_column', table: 'k3', column: 'qty', type: 'bigint' },
      { op: 'rename_column', table: 'k3', from: 'note', to: 'remark' },
    ]);
    let stop = false;
    const failures: string[] = [];
    const acked = new Map<number, number>();
    let inserted = 0;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        // Each writer owns the rows id ≡ w (mod 8), so a row's last acknowledged value is known.
        const id = 1 + w + 8 * ((i * 7919) % Math.floor(ROWS / 8));
        try {
          await sql`UPDATE k3 SET qty = ${i}, note = ${`w${w}`} WHERE id = ${id}`.execute(db);
          acked.set(id, i);
          await sql`INSERT INTO k3 (id, qty, note) VALUES (${ROWS + 1 + w * 1_000_000 + i}, ${i}, 'new')`.execute(db);
          inserted++;
        } catch (err) {
          failures.push(isStrataError(err) ? `${err.code}: ${err.message}` : String(err));
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    try {
      const first = startCli(['migrate', 'start', '--dir', path, '--batch-size', '500', '--throttle', '20'], env());
      await first.waitFor(/backfill k3_?\w*: [1-9]\d* rows/);
      first.child.kill('SIGKILL');
      await first.exited;
      const rollback = await runCli(['migrate', 'rollback', '--dir', path], env());
      expect(rollback.code, rollback.stderr).toBe(0);
      expect(rollback.stdout).toMatch(/0001_k3: rollback done/);
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(failures).toEqual([]);
    expect(inserted).toBeGreaterThan(0);
    const cols = await sql<{ column_name: string; data_type: string }>`
      SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'k3' ORDER BY ordinal_position`.execute(db);
    expect(cols.rows.map((c) => `${c.column_name}:${c.data_type}`)).toEqual(['id:bigint', 'qty:integer', 'note:text']);
    expect(await one(sql<{ n: number }>`SELECT count(*)::int AS n FROM k3`)).toEqual({ n: ROWS + inserted });
    // Every acknowledged update is there with the last value its writer wrote.
    const ids = [...acked.keys()];
    const { rows } = await sql<{ id: string; qty: number; note: string }>`SELECT id::int AS id, qty, note FROM k3 WHERE id = ANY(${ids})`.execute(db);
    expect(rows).toHaveLength(ids.length);
    expect(rows.filter((r) => acked.get(Number(r.id)) !== r.qty || r.note !== `w${(Number(r.id) - 1) % 8}`)).toEqual([]);
    expect(await one(sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname LIKE 'public_0001_k3%'`)).toEqual({ n: 0 });
    expect(await one(sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'k3'::regclass AND NOT tgisinternal`)).toEqual({ n: 0 });
    expect(await one(sql<{ state: string }>`SELECT state FROM strata.migrations WHERE name = '0001_k3'`)).toEqual({ state: 'rolled_back' });
  }, 240_000);
});
