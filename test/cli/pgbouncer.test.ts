import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../src/db/index.js';
import { SCOPES } from '../../src/principals/index.js';
import { runCli, startCli } from '../support/cli.js';
import { describePgBouncer } from '../support/pooler.js';
import { usePostgres } from '../support/postgres.js';
import { queryRows } from '../support/query.js';
import { principalWith } from '../support/service.js';

const t = usePostgres();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-pgbouncer-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Only the pooler's address: what `DATABASE_URL=<PgBouncer>` alone gives a process. */
const pooledOnly = (url: string) => ({ DATABASE_URL: url, STRATA_DIRECT_URL: '' });

describePgBouncer('strata serve, migrate and load with DATABASE_URL at PgBouncer (transaction mode, default settings)', (pooler) => {
  it('on an unmigrated database, serve and migrate start refuse in one line naming STRATA_DIRECT_URL', async () => {
    const serve = await runCli(['serve', '--port', String(await freePort())], pooledOnly(pooler.urlOf(t.url)));
    expect(serve.code).not.toBe(0);
    expect(
      serve.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('strata:')),
    ).toEqual([expect.stringMatching(/^strata: the migration runner .* set STRATA_DIRECT_URL to the PostgreSQL server's own address/)]);
    const start = await runCli(['migrate', 'start'], pooledOnly(pooler.urlOf(t.url)));
    expect(start.code).not.toBe(0);
    expect(start.stderr).toMatch(/^strata: .*STRATA_DIRECT_URL/m);
  });

  it('with STRATA_DIRECT_URL, serve migrates on the server and serves through the pooler; later DATABASE_URL alone starts it', async () => {
    const headers = { authorization: `Bearer ${(await principalWith(t.database.db, SCOPES)).token}` };
    for (const env of [{ DATABASE_URL: pooler.urlOf(t.url), STRATA_DIRECT_URL: t.directUrl }, pooledOnly(pooler.urlOf(t.url))]) {
      const serving = startCli(['serve', '--port', String(await freePort())], env);
      try {
        const [, url] = await serving.waitFor(/serving on (http:\/\/\S+)/);
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        const created = await fetch(`${url}/products`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ sku: `PGB-${env.STRATA_DIRECT_URL ? 1 : 2}`, name: 'Through the pooler', price: 100, currency: 'EUR' }),
        });
        expect(created.status).toBe(201);
        expect((await fetch(`${url}/products?limit=5`, { headers })).status).toBe(200);
      } finally {
        serving.child.kill('SIGINT');
      }
      expect((await serving.exited).code).toBe(0);
    }
    expect(await queryRows(t.directUrl, 'SELECT sku FROM products ORDER BY sku')).toEqual([{ sku: 'PGB-1' }, { sku: 'PGB-2' }]);
  });

  it('strata load works through the pooler (COPY in a transaction per chunk)', async () => {
    await queryRows(t.directUrl, 'CREATE TABLE IF NOT EXISTS pooled_items (sku text PRIMARY KEY, qty int NOT NULL)');
    const csv = join(dir, 'items.csv');
    await writeFile(csv, `sku,qty\n${Array.from({ length: 5000 }, (_, i) => `P-${i},${i}`).join('\n')}\n`);
    const loaded = await runCli(['load', 'pooled_items', csv, '--chunk-rows', '500'], pooledOnly(pooler.urlOf(t.url)));
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(await queryRows(t.directUrl, 'SELECT count(*)::int AS n, sum(qty)::int AS total FROM pooled_items')).toEqual([
      { n: 5000, total: (4999 * 5000) / 2 },
    ]);
  });
});
