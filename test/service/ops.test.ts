import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { SCOPES } from '../../src/principals/index.js';
import { buildApp } from '../../src/service/index.js';
import { usePostgres } from '../support/postgres.js';
import { principalWith } from '../support/service.js';

const pg = usePostgres();

describe('service operations routes', () => {
  let app: FastifyInstance;
  let admin: string;
  let reader: string;
  beforeAll(async () => {
    app = await buildApp({ database: pg.database, logger: false });
    admin = (await principalWith(pg.database.db, SCOPES)).token;
    reader = (await principalWith(pg.database.db, ['catalog:read'])).token;
  });
  afterAll(() => app.close());

  it('GET / points a newcomer to the docs: a page of links for a browser, the same links as JSON for a client', async () => {
    const page = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    for (const href of ['/docs', '/openapi.json', '/readyz', '/metrics']) expect(page.body).toContain(`href="${href}"`);
    const json = await app.inject({ method: 'GET', url: '/' });
    expect(json.json()).toMatchObject({ links: { docs: '/docs', openapi: '/openapi.json', health: '/healthz', readiness: '/readyz', metrics: '/metrics' } });
  });

  it('/healthz answers 200 and echoes a request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  });

  it('keeps a well-formed incoming X-Request-Id and replaces a malformed one', async () => {
    const kept = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id\u0001' } });
    expect(replaced.headers['x-request-id']).not.toBe('bad id\u0001');
  });

  it('/readyz pings the database', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', database: 'postgres' });
  });

  it('/metrics needs the admin scope by default, and nothing with STRATA_METRICS_ACCESS=public', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${reader}` } })).statusCode).toBe(403);
    const open = await buildApp({ database: pg.database, logger: false, metricsAccess: 'public' });
    const res = await open.inject({ method: 'GET', url: '/metrics' });
    const doc = (await open.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { security?: unknown }>> };
    await open.close();
    expect(res.statusCode).toBe(200);
    expect(doc.paths['/metrics']?.get?.security).toEqual([]);
  });

  it('/metrics shows process metrics and strata_db_pool_ gauges', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/^strata_db_pool_connections\{pool="primary",state="idle"\} \d+$/m);
    expect(res.body).toMatch(/^strata_db_pool_max_connections\{pool="primary"\} 10$/m);
    expect(res.body).toMatch(/^strata_db_pool_waiting_requests\{pool="primary"\} 0$/m);
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('unknown routes answer with RFC 9457 problem+json', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: '/problems/not-found', title: 'Not Found', status: 404, code: 'NOT_FOUND', instance: '/nope?x=1' });
    expect(res.json().request_id).toBe(res.headers['x-request-id']);
  });

  it('a thrown error becomes a 500 problem without internals', async () => {
    const local = await buildApp({ database: pg.database, logger: false });
    local.get('/boom', { config: { scope: 'public' } }, async () => {
      throw new Error('secret internal detail');
    });
    const res = await local.inject({ method: 'GET', url: '/boom' });
    await local.close();
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(res.body).not.toContain('secret internal detail');
  });

  it('database errors map to 4xx/503 problems with stable codes', async () => {
    const local = await buildApp({ database: pg.database, logger: false });
    local.post('/dup', { config: { scope: 'public' } }, async () => {
      const { sql } = await import('kysely');
      await sql`CREATE TABLE IF NOT EXISTS dup (id int PRIMARY KEY)`.execute(pg.database.db);
      await sql`INSERT INTO dup VALUES (1), (1)`.execute(pg.database.db);
    });
    const res = await local.inject({ method: 'POST', url: '/dup' });
    await local.close();
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'UNIQUE_VIOLATION', type: '/problems/unique-violation' });
  });

  it('malformed JSON and wrong content types are 4xx problems', async () => {
    const local = await buildApp({ database: pg.database, logger: false, bodyLimit: 64 });
    local.post('/echo', { config: { scope: 'public' } }, async (request) => ({ got: request.body }));
    const malformed = await local.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    const wrongType = await local.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    const tooBig = await local.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ a: 'x'.repeat(100) }),
    });
    await local.close();
    expect([malformed.statusCode, malformed.json().code]).toEqual([400, 'MALFORMED_JSON']);
    expect([wrongType.statusCode, wrongType.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect([tooBig.statusCode, tooBig.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('/readyz answers 503 problem+json when the database is gone', async () => {
    const database = await openPostgres(pg.url);
    const local = await buildApp({ database, logger: false });
    await database.close();
    const res = await local.inject({ method: 'GET', url: '/readyz' });
    await local.close();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
    expect(res.headers['retry-after']).toBe('1');
  });
});
