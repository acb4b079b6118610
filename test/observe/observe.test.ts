import { spawnSync } from 'node:child_process';
import { type Kysely, sql } from 'kysely';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openPostgres, withTransaction } from '../../src/db/index.js';
import { createQueryObserver, createRegistry, createStrataMetrics, type StrataMetrics, type StrataQueryObserver } from '../../src/observe/index.js';
import { SCOPES } from '../../src/principals/index.js';
import { buildApp, migrateService } from '../../src/service/index.js';
import { conflictOnce } from '../support/conflicts.js';
import { usePostgres } from '../support/postgres.js';
import { principalWith } from '../support/service.js';

const pg = usePostgres();

function promtoolAvailable(): boolean {
  return spawnSync('promtool', ['--version']).status === 0;
}

describe('observability', () => {
  const logs: { fields: Record<string, unknown>; message: string }[] = [];
  let registry: Registry;
  let metrics: StrataMetrics;
  let observer: StrataQueryObserver;
  let database: Database;
  let db: Kysely<unknown>;
  beforeAll(async () => {
    registry = createRegistry();
    metrics = createStrataMetrics(registry);
    observer = createQueryObserver({
      metrics,
      logger: { warn: (fields, message) => logs.push({ fields, message }) },
      slowQueryMs: 150,
      explain: 'plan',
      labelCap: 100,
    });
    // The schema is migrated on a pool of its own: the migration engine's many distinct statements
    // would otherwise take label values from the cap the label test measures.
    const setup = await openPostgres(pg.directUrl, { max: 2 });
    await migrateService(setup.db);
    await setup.close();
    database = await openPostgres(pg.url, { observer: observer.observe, max: 5 });
    observer.attach(database.db);
    db = database.db;
  });
  afterAll(async () => {
    metrics.close();
    await database.close();
  });

  it('/metrics passes `promtool check metrics` (skipped, visibly, where promtool is absent)', async (ctx) => {
    if (!promtoolAvailable()) {
      if (process.env.STRATA_REQUIRE_PROMTOOL === '1') throw new Error('STRATA_REQUIRE_PROMTOOL=1 but promtool is not installed (Debian package prometheus)');
      process.stderr.write('[strata tests] promtool not found: the promtool metrics check is SKIPPED (apt-get install prometheus)\n');
      ctx.skip();
    }
    const app = await buildApp({ database, registry, metrics, logger: false });
    const headers = { authorization: `Bearer ${(await principalWith(database.db, SCOPES)).token}` };
    await app.inject({ method: 'POST', url: '/products', payload: { sku: 'M-1', name: 'm', price: 1, currency: 'EUR' }, headers });
    await app.inject({ method: 'GET', url: '/products?limit=5', headers });
    await app.inject({ method: 'GET', url: '/nope' });
    const res = await app.inject({ method: 'GET', url: '/metrics', headers });
    await app.close();
    for (const name of [
      'strata_db_query_duration_seconds_bucket',
      'strata_http_request_duration_seconds_count',
      'strata_db_pool_connections',
      'strata_tx_retries_total',
      'strata_idempotency_replays_total',
    ]) {
      expect(res.body).toContain(name);
    }
    expect(res.body).toMatch(/strata_http_request_duration_seconds_count\{method="GET",route="\/products",status_code="200"\} 1/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: res.body });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('10,000 distinct ad-hoc SQL texts produce a bounded number of label values', async () => {
    await withTransaction(db, async (trx) => {
      for (let i = 0; i < 10_000; i++) await sql.raw(i % 2 ? `SELECT ${i} AS c${i}` : `SELECT '${i}'::text AS v, ${i} + 1 AS w`).execute(trx);
    });
    expect(observer.labels.size).toBeLessThanOrEqual(100);
    const values = (await registry.getSingleMetric('strata_db_query_duration_seconds')?.get())?.values ?? [];
    const operations = new Set(values.map((v) => v.labels.operation));
    expect(operations.size).toBeLessThanOrEqual(101);
    expect(operations.has('other')).toBe(true);
    expect(operations.has('select ?::text as v, ? + ? as w')).toBe(true);
  });

  it('a slow query is logged with its plan; its parameters are not', async () => {
    await sql`CREATE TABLE secrets (id serial PRIMARY KEY, sku text NOT NULL UNIQUE, note text)`.execute(db);
    await sql`INSERT INTO secrets (sku, note) SELECT 'S-' || g, 'n' FROM generate_series(1, 1000) g`.execute(db);
    logs.length = 0;
    await sql`SELECT pg_sleep(0.2)::text AS pause, (SELECT count(*) FROM secrets s WHERE s.sku = ${'TOP-SECRET-VALUE'} AND s.id > ${987654}) AS n`.execute(db);
    await observer.settle();
    const entry = logs.find((l) => l.message === 'slow query');
    expect(entry).toBeDefined();
    expect(entry?.fields.duration_ms).toBeGreaterThanOrEqual(150);
    expect(entry?.fields.statement).toContain('where s.sku = ? and s.id > ?');
    expect(JSON.stringify(entry?.fields.plan)).toContain('"Node Type"');
    expect(JSON.stringify(entry?.fields.plan)).toMatch(/sku = \$1/);
    expect(JSON.stringify(entry)).not.toContain('TOP-SECRET-VALUE');
    expect(JSON.stringify(entry)).not.toContain('987654');
  });

  it('counts transaction retries by reason', async () => {
    await sql`CREATE TABLE skew (id int PRIMARY KEY)`.execute(db);
    expect(await conflictOnce(db, await pg.rawClient(), 'skew', '(1)', '(2)')).toBe(2);
    expect(await registry.getSingleMetricAsString('strata_tx_retries_total')).toMatch(/strata_tx_retries_total\{reason="serialization_failure"\} 1/);
  });
});
