import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouteScope, registerRoutes } from '../../src/boundary/index.js';
import { type Database, loadServiceConfig, openPostgres } from '../../src/db/index.js';
import { issueToken, revokePrincipal, revokeToken, SCOPES, type Scope } from '../../src/principals/index.js';
import { buildApp, migrateService } from '../../src/service/index.js';
import { usePostgres } from '../support/postgres.js';
import { newProduct, principalWith, withToken } from '../support/service.js';

const pg = usePostgres({ max: 10 });

interface Registered {
  readonly method: string;
  readonly url: string;
  readonly scope: RouteScope | undefined;
}

/** A URL for a route pattern: ids are fresh UUIDs (nothing is found, nothing changes). */
const concrete = (url: string) =>
  url.replace(/:([A-Za-z]+)/g, (_, name: string) => (name === 'sku' ? 'NO-SUCH-SKU' : name === 'name' ? 'no-such-principal' : uuidv7()));

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const withoutRequestId = (body: Record<string, unknown>) => {
  const { request_id: _id, ...rest } = body;
  return rest;
};

let app: FastifyInstance;
const routes: Registered[] = [];
/** Every token this file made, for the scan of logs and answers. */
const minted: string[] = [];
const mint = async (scopes: readonly Scope[]) => {
  const made = await principalWith(pg.database.db, scopes);
  minted.push(made.token);
  return made;
};
const tokens = new Map<string, string>();
/** A token holding exactly `scopes` (one principal per combination). */
const tokenFor = async (scopes: readonly Scope[]) => {
  const key = scopes.join(',');
  let token = tokens.get(key);
  if (!token) {
    token = (await mint(scopes)).token;
    tokens.set(key, token);
  }
  return token;
};

/** Captured log lines of `app` (pino at trace, JSON). */
const logLines: string[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});
/** Every answer the tests received, but those of POST /admin/tokens that issue a token (it is shown there once, on purpose). */
const bodies: string[] = [];
const send = async (options: InjectOptions) => {
  const res = await app.inject(options);
  if (res.statusCode === 201 && options.url === '/admin/tokens') minted.push(res.json().token as string);
  else bodies.push(res.body);
  return res;
};

beforeAll(async () => {
  await pg.withSession((d) => migrateService(d.db));
  app = await buildApp({ database: pg.database, loggerInstance: pino({ level: 'trace' }, capture), rateLimit: false, onRoute: (r) => routes.push(r) });
  await app.ready();
});
afterAll(() => app.close());

describe('every route declares who may call it, and the service holds it to that', () => {
  it('finds the routes (a new route is covered here without being named)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes.filter((r) => r.scope === undefined)).toEqual([]);
    const publicOnes = routes.filter((r) => r.scope === 'public' && !r.url.startsWith('/docs')).map((r) => `${r.method} ${r.url}`);
    expect(publicOnes.sort()).toEqual(['GET /', 'GET /healthz', 'GET /openapi.json', 'GET /readyz']);
  });

  it('#23.1: no token is 401, a token without the scope 403, a token with it gets through, on every route', async () => {
    const all: [string, number, number, number][] = [];
    for (const route of routes) {
      const label = `${route.method} ${route.url}`;
      const url = concrete(route.url);
      const scope = route.scope;
      if (scope === 'public' || scope === undefined) {
        expect((await send({ method: route.method as 'GET', url })).statusCode, label).not.toBe(401);
        continue;
      }
      const none = await send({ method: route.method as 'GET', url });
      expect(none.statusCode, label).toBe(401);
      expect(none.headers['content-type'], label).toContain('application/problem+json');
      expect(none.headers['www-authenticate'], label).toBe('Bearer realm="strata"');
      expect(none.json(), label).toMatchObject({ code: 'AUTHENTICATION_REQUIRED', status: 401 });
      // Another scope than the route's (for `authenticated`, any token goes: there is no wrong scope).
      const others = SCOPES.filter((s) => s !== scope);
      const wrong = scope === 'authenticated' ? undefined : await send({ method: route.method as 'GET', url, headers: bearer(await tokenFor(others)) });
      if (wrong) {
        expect(wrong.statusCode, label).toBe(403);
        expect(wrong.json(), label).toMatchObject({ code: 'SCOPE_REQUIRED', status: 403 });
      }
      const right = await send({ method: route.method as 'GET', url, headers: bearer(await tokenFor(scope === 'authenticated' ? ['wallet'] : [scope])) });
      expect([401, 403, 429], `${label}: ${right.body}`).not.toContain(right.statusCode);
      expect(right.statusCode, `${label}: ${right.body}`).toBeLessThan(500);
      all.push([label, none.statusCode, wrong?.statusCode ?? 0, right.statusCode]);
    }
    expect(all.length).toBeGreaterThanOrEqual(20);
  });

  it('the OpenAPI document declares the bearer scheme and, per operation, the scope the service enforces', async () => {
    const doc = (await send({ method: 'GET', url: '/openapi.json' })).json() as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of routes) {
      if (route.url.startsWith('/docs')) continue;
      const op = doc.paths[route.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()];
      const label = `${route.method} ${route.url}`;
      expect(op, label).toBeDefined();
      const expected = route.scope === 'public' ? [] : [{ bearer: route.scope === 'authenticated' ? [] : [route.scope] }];
      expect(op?.security, label).toEqual(expected);
      if (route.scope !== 'public') expect(Object.keys(op?.responses ?? {}), label).toEqual(expect.arrayContaining(['401', '429']));
    }
  });
});

describe('authentication', () => {
  it('refuses a missing, malformed, unknown, wrong-secret, expired and revoked token with one identical answer', async () => {
    const { id: principal, token: good } = await mint(['catalog:read']);
    const expired = await issueToken(pg.database.db, { principal, scopes: ['catalog:read'], expiresAt: new Date(Date.now() - 1000) });
    const revoked = await issueToken(pg.database.db, { principal, scopes: ['catalog:read'] });
    await revokeToken(pg.database.db, revoked.id);
    minted.push(expired.token, revoked.token);
    const unknown = `strata_${uuidv7().replaceAll('-', '')}_${good.slice(-43)}`;
    const wrongSecret = `${good.slice(0, -43)}${'A'.repeat(43)}`;
    const answers = [];
    for (const headers of [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Basic dXNlcjpwYXNz' },
      bearer('not-a-token'),
      bearer(unknown),
      bearer(wrongSecret),
      bearer(expired.token),
      bearer(revoked.token),
    ]) {
      const res = await send({ method: 'GET', url: '/products', headers });
      answers.push({
        status: res.statusCode,
        challenge: res.headers['www-authenticate'],
        type: res.headers['content-type'],
        body: withoutRequestId(res.json()),
      });
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]?.status).toBe(401);
    expect((await send({ method: 'GET', url: '/products', headers: bearer(good) })).statusCode).toBe(200);
  });

  it('GET /me names the principal and the scopes of the token', async () => {
    const { id, name, token } = await mint(['catalog:read', 'wallet']);
    const me = await send({ method: 'GET', url: '/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ principal_id: id, name, scopes: ['catalog:read', 'wallet'] });
  });
});

describe('writes act for the principal', () => {
  it('#23.3: each history version written through the service names its principal', async () => {
    const writer = await mint(['catalog:write', 'catalog:read']);
    const other = await mint(['catalog:write']);
    const operator = await mint(['admin']);
    const created = await send({ method: 'POST', url: '/products', headers: bearer(writer.token), payload: newProduct() });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(
      (await send({ method: 'PATCH', url: `/products/${id}`, headers: { ...bearer(other.token), 'if-match': '"1"' }, payload: { stock: 9 } })).statusCode,
    ).toBe(200);
    expect((await send({ method: 'DELETE', url: `/products/${id}`, headers: bearer(writer.token) })).statusCode).toBe(204);
    expect((await send({ method: 'POST', url: `/products/${id}/restore`, headers: bearer(operator.token) })).statusCode).toBe(200);
    expect((await send({ method: 'POST', url: `/products/${id}/revert`, headers: bearer(other.token), payload: { version: 1 } })).statusCode).toBe(200);
    const history = await send({ method: 'GET', url: `/products/${id}/history`, headers: bearer(writer.token) });
    const versions = history.json().items as { version: number; operation: string; actor: string }[];
    expect(versions.map((v) => [v.operation, v.actor])).toEqual([
      ['insert', writer.id],
      ['update', other.id],
      ['delete', writer.id],
      ['restore', operator.id],
      ['update', other.id],
    ]);
    const sku = `IMP-${uuidv7()}`;
    const imported = await send({
      method: 'POST',
      url: '/products/import',
      headers: { ...bearer(other.token), 'content-type': 'application/x-ndjson' },
      payload: `${JSON.stringify({ sku, name: 'Imported', price: 100, currency: 'EUR' })}\n`,
    });
    expect(imported.statusCode).toBe(200);
    const { rows } = await sql<{ actor: string }>`SELECT h.actor FROM products_history h JOIN products_all p ON p.id = h.row_id WHERE p.sku = ${sku}`.execute(
      pg.database.db,
    );
    expect(rows.map((r) => r.actor)).toEqual([other.id]);
  });

  it('idempotency keys belong to one principal: the same key from another principal is a request of its own', async () => {
    const a = await mint(['catalog:write']);
    const b = await mint(['catalog:write']);
    const key = `shared-${uuidv7()}`;
    const first = await send({ method: 'POST', url: '/products', headers: { ...bearer(a.token), 'idempotency-key': key }, payload: newProduct() });
    const body = newProduct();
    const other = await send({ method: 'POST', url: '/products', headers: { ...bearer(b.token), 'idempotency-key': key }, payload: body });
    const replay = await send({
      method: 'POST',
      url: '/products',
      headers: { ...bearer(b.token), 'idempotency-key': key },
      payload: body,
    });
    expect([first.statusCode, other.statusCode]).toEqual([201, 201]);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.json().id).not.toBe(first.json().id);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });
});

describe('the admin routes', () => {
  it('create a principal, issue it a token shown once, list both without secrets, revoke the token and the principal', async () => {
    const admin = bearer(await tokenFor(['admin']));
    const name = `svc-${Date.now()}`;
    const created = await send({ method: 'POST', url: '/admin/principals', headers: admin, payload: { name } });
    expect(created.statusCode).toBe(201);
    expect((await send({ method: 'POST', url: '/admin/principals', headers: admin, payload: { name } })).json().code).toBe('PRINCIPAL_EXISTS');
    expect((await send({ method: 'POST', url: '/admin/principals', headers: admin, payload: { name: 'Not Valid' } })).statusCode).toBe(400);
    const issued = await send({ method: 'POST', url: '/admin/tokens', headers: admin, payload: { principal: name, scopes: ['catalog:read'] } });
    expect(issued.statusCode).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    const { id, token } = issued.json() as { id: string; token: string };
    expect((await send({ method: 'GET', url: '/me', headers: bearer(token) })).json().name).toBe(name);
    const listed = await send({ method: 'GET', url: `/admin/tokens?principal=${name}`, headers: admin });
    expect(listed.json().items.map((t: { id: string }) => t.id)).toEqual([id]);
    expect(listed.body).not.toContain(token.slice(-43));
    expect((await send({ method: 'GET', url: '/admin/principals', headers: admin })).json().items.map((p: { name: string }) => p.name)).toContain(name);
    expect((await send({ method: 'POST', url: `/admin/tokens/${id}/revoke`, headers: admin })).json().revoked_at).not.toBeNull();
    expect((await send({ method: 'GET', url: '/me', headers: bearer(token) })).statusCode).toBe(401);
    const second = (await send({ method: 'POST', url: '/admin/tokens', headers: admin, payload: { principal: name, scopes: ['catalog:read'] } })).json();
    expect((await send({ method: 'POST', url: `/admin/principals/${name}/revoke`, headers: admin })).statusCode).toBe(200);
    expect((await send({ method: 'GET', url: '/me', headers: bearer(second.token) })).statusCode).toBe(401);
    expect((await send({ method: 'POST', url: '/admin/tokens', headers: admin, payload: { principal: name, scopes: ['catalog:read'] } })).statusCode).toBe(409);
  });

  it('an issued token is never stored with an Idempotency-Key response (the route takes no key)', async () => {
    const admin = bearer(await tokenFor(['admin']));
    const principal = await mint(['wallet']);
    const res = await send({
      method: 'POST',
      url: '/admin/tokens',
      headers: { ...admin, 'idempotency-key': `tok-${uuidv7()}` },
      payload: { principal: principal.id, scopes: ['wallet'] },
    });
    expect(res.statusCode).toBe(201);
    const { rows } = await sql`SELECT * FROM strata.idempotency_keys`.execute(pg.database.db);
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain((res.json().token as string).slice(-43));
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a principal has used its burst; other principals go on', async () => {
    const limited = await buildApp({ database: pg.database, logger: false, rateLimit: { perSecond: 0.001, burst: 3 } });
    try {
      const a = bearer((await mint(['catalog:read'])).token);
      const b = bearer((await mint(['catalog:read'])).token);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.inject({ method: 'GET', url: '/products?limit=1', headers: a })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limited.inject({ method: 'GET', url: '/products?limit=1', headers: a });
      expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await limited.inject({ method: 'GET', url: '/products?limit=1', headers: b })).statusCode).toBe(200);
      expect((await limited.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('#23.5 / #32: a revocation holds on the next request by default; with STRATA_TOKEN_CACHE_MS, at once in the process that made it, within it in every other', () => {
  const TTL = 300;
  let second: Database;
  let other: FastifyInstance;
  let uncached: FastifyInstance;
  beforeAll(async () => {
    // Its own pool: another process on the same database, as far as the service can tell.
    second = await openPostgres(pg.url, { max: 4 });
    other = await buildApp({ database: second, logger: false, rateLimit: false, tokenCacheMs: TTL });
    uncached = await buildApp({ database: second, logger: false, rateLimit: false, tokenCacheMs: 0 });
  });
  afterAll(async () => {
    await other.close();
    await uncached.close();
    await second.close();
  });

  it('a token revoked through one instance: refused there at once, by another within its cache time (at once with the cache off)', async () => {
    const admin = bearer(await tokenFor(['admin']));
    const p = await mint(['catalog:read']);
    const more = await issueToken(pg.database.db, { principal: p.id, scopes: ['catalog:read'] });
    minted.push(more.token);
    const me = (instance: FastifyInstance, token: string) => instance.inject(withToken({ method: 'GET', url: '/me' }, token));
    // Every instance has just read (and the caching ones remember) both tokens.
    for (const instance of [app, other, uncached]) {
      expect([(await me(instance, p.token)).statusCode, (await me(instance, more.token)).statusCode]).toEqual([200, 200]);
    }
    const tokenId = (await me(app, p.token)).json().token_id as string;
    expect((await send({ method: 'POST', url: `/admin/tokens/${tokenId}/revoke`, headers: admin })).statusCode).toBe(200);
    expect((await me(app, p.token)).statusCode).toBe(401);
    expect((await me(uncached, p.token)).statusCode).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, TTL + 50));
    expect((await me(other, p.token)).statusCode).toBe(401);
    expect((await me(other, more.token)).statusCode).toBe(200);

    // The principal, revoked outside any service (as the CLI does): every instance refuses its other token once its cache time has passed.
    await revokePrincipal(second.db, p.id);
    expect((await me(uncached, more.token)).statusCode).toBe(401);
    // The default (STRATA_TOKEN_CACHE_MS unset: no cache) refuses it on the next request (#23.5).
    expect((await me(app, more.token)).statusCode).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, Math.max(TTL, loadServiceConfig().tokenCacheMs) + 50));
    expect((await me(other, more.token)).statusCode).toBe(401);
    expect((await me(app, more.token)).statusCode).toBe(401);
  });
});

describe('#32: the catalog reads carry their token check in their own statement, with the same answers', () => {
  it('one statement per GET; 401 for an unknown, revoked or expired token before any 400 or 404; 403 without the scope; rows only for a valid token', async () => {
    const reader = await mint(['catalog:read']);
    const writer = await tokenFor(['catalog:write']);
    const id = (await send({ method: 'POST', url: '/products', headers: bearer(writer), payload: newProduct() })).json().id as string;
    const get = (url: string, token: string) => app.inject(withToken({ method: 'GET', url }, token));
    // The statements an instance runs per request: one for a GET of a product or a page (before #32: two, the token's and the read).
    let statements = 0;
    const counting = pg.database.db.withPlugin({
      transformQuery: (args) => {
        statements++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const counted = await buildApp({ database: Object.assign(Object.create(pg.database) as Database, { db: counting }), logger: false, rateLimit: false });
    try {
      for (const url of [`/products/${id}`, '/products?limit=5']) {
        await counted.inject(withToken({ method: 'GET', url }, reader.token));
        statements = 0;
        expect((await counted.inject(withToken({ method: 'GET', url }, reader.token))).statusCode).toBe(200);
        expect([url, statements]).toEqual([url, 1]);
      }
    } finally {
      await counted.close();
    }
    expect((await get(`/products/${id}`, reader.token)).json().id).toBe(id);
    expect((await get('/products?limit=5', reader.token)).json().items.length).toBeGreaterThan(0);
    expect((await get(`/products/${uuidv7()}`, reader.token)).statusCode).toBe(404);
    expect((await get('/products/not-a-uuid', reader.token)).statusCode).toBe(400);
    // A token without catalog:read: 403 from the same statement (the product was read, never sent).
    const refusedScope = await get(`/products/${id}`, writer);
    expect([refusedScope.statusCode, refusedScope.json().code]).toEqual([403, 'SCOPE_REQUIRED']);
    expect(refusedScope.body).not.toContain('"sku"');
    const forged = `${reader.token.slice(0, -4)}${reader.token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    for (const url of [`/products/${id}`, `/products/${uuidv7()}`, '/products/not-a-uuid', '/products?limit=5', '/products?cursor=forged']) {
      const res = await get(url, forged);
      expect([url, res.statusCode, res.json().code]).toEqual([url, 401, 'AUTHENTICATION_REQUIRED']);
      expect(res.body).not.toContain('"sku"');
    }
    // Revoked outside the service (another process, the CLI): refused on the next request, by the read's own statement.
    const more = await issueToken(pg.database.db, { principal: reader.id, scopes: ['catalog:read'] });
    minted.push(more.token);
    expect((await get(`/products/${id}`, more.token)).statusCode).toBe(200);
    await revokeToken(pg.database.db, more.id);
    for (const url of [`/products/${id}`, '/products?limit=5', `/products/${uuidv7()}`])
      expect([url, (await get(url, more.token)).statusCode]).toEqual([url, 401]);
    const expiring = await issueToken(pg.database.db, { principal: reader.id, scopes: ['catalog:read'] });
    minted.push(expiring.token);
    await sql`UPDATE strata.api_tokens SET expires_at = now() - interval '1 second' WHERE id = ${expiring.id}`.execute(pg.database.db);
    expect((await get(`/products/${id}`, expiring.token)).statusCode).toBe(401);
  });
});

describe('start-up', () => {
  it('fails for a route that declares no scope, or an unknown one', async () => {
    const local = await buildApp({ database: pg.database, logger: false });
    try {
      expect(() => local.get('/undeclared', async () => 'x')).toThrow(/declares no scope/);
      expect(() => local.get('/typo', { config: { scope: 'catalog:reed' as never } }, async () => 'x')).toThrow(/unknown scope/);
      const route = { method: 'GET', url: '/raw', scope: undefined } as never;
      expect(() => registerRoutes(local, [route])).toThrow(/declares no valid scope/);
    } finally {
      await local.close();
    }
  });
});

describe('secrets', () => {
  it('#23.4: tokens never appear in the log (at trace level) or in any answer', async () => {
    expect(logLines.length).toBeGreaterThan(0);
    // Every token the file used (valid, expired, revoked, issued through the API) and their secrets alone.
    const secrets = minted.flatMap((t) => [t, t.slice(-43)]);
    expect(minted.length).toBeGreaterThan(10);
    const issued = await send({
      method: 'POST',
      url: '/admin/tokens',
      headers: bearer(await tokenFor(['admin'])),
      payload: { principal: 'no-such-principal', scopes: ['catalog:read'] },
    });
    expect(issued.statusCode).toBe(404);
    const log = logLines.join('');
    for (const secret of secrets) {
      expect(log.includes(secret), 'a token in the log').toBe(false);
      expect(
        bodies.some((b) => b.includes(secret)),
        'a token in an answer',
      ).toBe(false);
    }
    expect(log).not.toMatch(/strata_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/);
  });
});
