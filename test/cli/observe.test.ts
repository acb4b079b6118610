import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

describe('strata explain and strata top', () => {
  it('explain prints a plan tree with the costly node marked; --analyze runs writes in a rolled-back transaction', async () => {
    const env = { DATABASE_URL: pg.url };
    const plan = await runCli(['explain', 'SELECT count(*) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/Aggregate \(cost=/);
    expect(plan.stdout).toMatch(/^!! /m);
    const write = await runCli(['explain', '--analyze', 'CREATE TABLE probe AS SELECT 1 AS x'], env);
    expect(write.code, write.stderr).toBe(0);
    const rolledBack = await runCli(['explain', 'SELECT * FROM probe'], env);
    expect(rolledBack.code).not.toBe(0);
    expect(rolledBack.stderr).toContain('probe');
    const analyzed = await runCli(['explain', '--analyze', 'SELECT 1'], env);
    expect(analyzed.stdout).toMatch(/Result \(time=\d+\.\d+ ms rows=1 loops=1/);
    const bad = await runCli(['explain', 'SELEC nonsense'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('top lists statements from pg_stat_statements where the server preloads it (embedded), and says exactly how to enable it where not', async () => {
    const db = pg.database.db;
    const preload = (await sql<{ libraries: string }>`SELECT current_setting('shared_preload_libraries') AS libraries`.execute(db)).rows[0]?.libraries ?? '';
    const result = await runCli(['top', '--limit', '50', '--order', 'calls'], { DATABASE_URL: pg.url });
    if (preload.split(',').some((l) => l.trim() === 'pg_stat_statements')) {
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^\s+total ms\s+calls\s+mean ms\s+rows {2}query$/);
      // A statement this test ran 7 times is listed with its calls (normalised by pg_stat_statements).
      for (let i = 0; i < 7; i++) await sql`SELECT ${i}::int AS strata_top_probe`.execute(db);
      const again = await runCli(['top', '--limit', '50', '--order', 'calls'], { DATABASE_URL: pg.url });
      expect(again.stdout).toMatch(/^\s+[\d.]+\s+7\s+[\d.]+\s+7 {2}SELECT \$1::int AS strata_top_probe$/m);
    } else {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^strata: pg_stat_statements is not loaded: add shared_preload_libraries = 'pg_stat_statements'/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
