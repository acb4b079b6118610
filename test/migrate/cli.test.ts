import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

describe('strata migrate (CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-migrate-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('status works on an empty database: every service migration pending, nothing created', async () => {
    const result = await runCli(['migrate', 'status'], { DATABASE_URL: pg.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^0001_products {2}pending$/m);
    expect(result.stdout).toMatch(/^0006_products_stock_bigint {2}pending$/m);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'strata'`.execute(pg.database.db);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('start then complete apply the service schema; status shows them completed', async () => {
    const start = await runCli(['migrate', 'start'], { DATABASE_URL: pg.url });
    expect(start.stderr).toMatch(/0006_products_stock_bigint start \d+: backfill products_all/);
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/0001_products: applied/);
    expect(start.stdout).toMatch(/0006_products_stock_bigint: start done/);
    const complete = await runCli(['migrate', 'complete'], { DATABASE_URL: pg.url });
    expect(complete.code).toBe(0);
    expect(complete.stdout).toMatch(/0006_products_stock_bigint: complete done/);
    const status = await runCli(['migrate', 'status'], { DATABASE_URL: pg.url });
    expect(status.stdout).toMatch(/^0006_products_stock_bigint {2}completed$/m);
    const again = await runCli(['migrate', 'complete'], { DATABASE_URL: pg.url });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('strata: no migration is in progress: nothing to complete\n');
  });

  it('lint exits 1 naming the rules and the safe form, 0 on safe SQL', async () => {
    await writeFile(join(dir, 'bad.sql'), 'CREATE INDEX i ON products (name);\nALTER TABLE products ALTER COLUMN stock TYPE bigint;\n');
    const bad = await runCli(['migrate', 'lint', join(dir, 'bad.sql')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/require-concurrent-index/);
    expect(bad.stderr).toMatch(/instead: CREATE INDEX CONCURRENTLY/);
    expect(bad.stderr).toMatch(/strata: 2 unsafe statements \(require-concurrent-index, alter-column-type\)/);
    await writeFile(join(dir, 'good.sql'), 'CREATE INDEX CONCURRENTLY i ON products (name);\n');
    const good = await runCli(['migrate', 'lint', join(dir, 'good.sql')]);
    expect(good.code).toBe(0);
  });

  it('new writes the next numbered file from the template', async () => {
    await writeFile(join(dir, '0007_x.ts'), '');
    const made = await runCli(['migrate', 'new', 'add_weight', '--dir', dir]);
    expect(made.code).toBe(0);
    expect(made.stdout.trim()).toBe(join(dir, '0008_add_weight.ts'));
    expect(await readFile(join(dir, '0008_add_weight.ts'), 'utf8')).toContain('defineMigration');
  });
});
