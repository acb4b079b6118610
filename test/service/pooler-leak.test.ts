import type { FastifyInstance, InjectOptions } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Database, openPostgres } from '../../src/db/index.js';
import { SCOPES } from '../../src/principals/index.js';
import { buildApp, migrateService } from '../../src/service/index.js';
import { describePgBouncer, readSettingsOnEveryServer, type ServerSettings, serverPids } from '../support/pooler.js';
import { usePostgres } from '../support/postgres.js';
import { newProduct, principalWith } from '../support/service.js';

const t = usePostgres();
const PRODUCTS = 100;
const CONCURRENT = 10;
let token = '';

/** A custom setting (`strata.*`) never set reads as null, and as '' once a transaction-local value is gone. */
const normalized = (s: ServerSettings['settings']) =>
  Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k.startsWith('strata.') && v === '' ? null : v]));

/** Ten requests on one product, touching every kind of route: writes (history, soft delete, idempotency keys), reads, lists. */
async function tenRequests(app: FastifyInstance, i: number): Promise<number[]> {
  const statuses: number[] = [];
  const send = async (options: InjectOptions) => {
    const res = await app.inject({
      ...options,
      headers: { 'x-request-id': `leak-${i}-${statuses.length}`, authorization: `Bearer ${token}`, ...options.headers },
    });
    statuses.push(res.statusCode);
    return res;
  };
  const body = newProduct();
  const created = await send({ method: 'POST', url: '/products', payload: body, headers: { 'idempotency-key': `leak-${i}` } });
  const id = (created.json() as { id: string }).id;
  await send({ method: 'GET', url: `/products/${id}` });
  await send({ method: 'PATCH', url: `/products/${id}`, headers: { 'if-match': '"1"' }, payload: { stock: 9 } });
  await send({ method: 'PUT', url: `/products/by-sku/${body.sku}`, payload: { ...body, sku: undefined, stock: 7 } });
  await send({ method: 'GET', url: '/products?limit=5' });
  await send({ method: 'GET', url: `/products/${id}/history` });
  await send({ method: 'DELETE', url: `/products/${id}` });
  await send({ method: 'POST', url: `/products/${id}/restore`, headers: { 'idempotency-key': `leak-restore-${i}` } });
  await send({ method: 'GET', url: '/admin/products/deleted?limit=5' });
  await send({ method: 'POST', url: `/products/${id}/revert`, payload: { version: 1 } });
  return statuses;
}

describePgBouncer('the service behind PgBouncer (transaction mode) leaves no session state', (pooler) => {
  let database: Database | undefined;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    await t.withSession((d) => migrateService(d.db));
    database = await openPostgres(pooler.urlOf(t.url), { max: CONCURRENT });
    token = (await principalWith(database.db, SCOPES)).token;
    app = await buildApp({ database, logger: false, rateLimit: false });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it(`after ${PRODUCTS * 10} requests, raw clients on every server connection of the pooler read none of strata's settings`, async () => {
    if (!app || !database) throw new Error('not started');
    const statuses: number[] = [];
    for (let first = 0; first < PRODUCTS; first += CONCURRENT) {
      const batch = await Promise.all(Array.from({ length: CONCURRENT }, (_, k) => tenRequests(app as FastifyInstance, first + k)));
      statuses.push(...batch.flat());
    }
    expect(statuses).toHaveLength(PRODUCTS * 10);
    expect(statuses.filter((s) => s >= 300)).toEqual([]);
    await app.close();
    await database.close();
    app = undefined;
    database = undefined;

    const servers = await serverPids(pooler.bouncer, new URL(t.url).pathname.slice(1));
    expect(servers.length).toBeGreaterThan(1);
    const seen = await readSettingsOnEveryServer(pooler.urlOf(t.url), servers.length);
    expect(new Set(seen.map((s) => s.pid))).toEqual(new Set(servers));
    const [fresh] = await readSettingsOnEveryServer(t.directUrl, 1);
    if (!fresh) throw new Error('no baseline');
    for (const server of seen) expect(normalized(server.settings), `server connection ${server.pid}`).toEqual(normalized(fresh.settings));
  }, 600_000);

  it('the same check finds a session SET made through the pooler (the check can fail)', async () => {
    const client = new pg.Client({ connectionString: pooler.urlOf(t.url) });
    await client.connect();
    try {
      await client.query("SET statement_timeout = '1234ms'; SELECT set_config('strata.actor', 'leaked', false)");
    } finally {
      await client.end();
    }
    const servers = await serverPids(pooler.bouncer, new URL(t.url).pathname.slice(1));
    const seen = await readSettingsOnEveryServer(pooler.urlOf(t.url), servers.length);
    expect(seen.filter((s) => s.settings.statement_timeout === '1234ms' && s.settings['strata.actor'] === 'leaked')).toHaveLength(1);
  });
});
