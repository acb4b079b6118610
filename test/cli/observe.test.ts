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

  it('top lists statements from pg_stat_statements, or says exactly how to enable it', async () => {
    const result = await runCli(['top', '--limit', '5'], { DATABASE_URL: pg.url });
    if (result.code === 0) {
      expect(result.stdout).toMatch(/total ms\s+calls\s+mean ms\s+rows\s+query/);
    } else {
      expect(result.stderr).toMatch(/^strata: pg_stat_statements is not loaded: add shared_preload_libraries = 'pg_stat_statements'/);
    }
  });
});
