import { Validator } from '@seriousme/openapi-schema-validator';
import type { InjectOptions } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOutput, defineRoute, openApiDocument, type Route, reply } from '../../src/boundary/index.js';
import { buildApp, migrateService, type ServiceDatabase } from '../../src/service/index.js';
import { adminRoutes } from '../../src/service/routes/admin.js';
import { importRoutes } from '../../src/service/routes/import.js';
import { productRoutes } from '../../src/service/routes/products.js';
import { usePostgres } from '../support/postgres.js';
import { principalWith, withToken } from '../support/service.js';

const pg = usePostgres();

type Json = Record<string, unknown>;
type Operation = { parameters?: Json[]; requestBody?: { content: Record<string, Json> }; responses: Record<string, Json> };

async function fetchDoc(): Promise<{ paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Json> } } & Json> {
  const app = await buildApp({ database: pg.database, logger: false });
  try {
    return (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  } finally {
    await app.close();
  }
}

/** The `code`s of the problem examples an operation documents for a status. */
function problemCodes(op: Operation | undefined, status: string): string[] {
  const content = (op?.responses[status]?.content ?? {}) as Record<string, { examples?: Record<string, { value: { code: string } }> }>;
  return Object.values(content['application/problem+json']?.examples ?? {}).map((e) => e.value.code);
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The keys of an example, recursively, must be exactly the properties its schema declares. */
function keysMatch(example: unknown, schema: Json, where: string): void {
  if (Array.isArray(example)) {
    for (const [i, item] of example.entries()) if (schema.items) keysMatch(item, schema.items as Json, `${where}[${i}]`);
    return;
  }
  if (typeof example !== 'object' || example === null || !schema.properties) return;
  const properties = schema.properties as Record<string, Json>;
  expect(Object.keys(example).sort(), where).toEqual(Object.keys(properties).sort());
  for (const [key, value] of Object.entries(example)) keysMatch(value, properties[key] as Json, `${where}.${key}`);
}

describe('/openapi.json', () => {
  it('is valid OpenAPI 3.1 and documents every route with request and response schemas', async () => {
    const routes: { method: string; url: string }[] = [];
    const app = await buildApp({ database: pg.database, logger: false, onRoute: (r) => routes.push(r) });
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    await app.close();
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);

    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const r of routes) {
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url}`).toBeDefined();
    }
    const create = doc.paths['/products'].post;
    expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('price');
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(create.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/Product');
    expect(create.responses['400'].content['application/problem+json']).toBeDefined();
    expect(doc.components.schemas.Product.properties.price.type).toBe('integer');
    expect(doc.components.schemas.Product.additionalProperties).toBe(false);
  });

  it('regression #20.8: declares the Idempotency-Key header and its 409/422 answers on every route that takes the key, and on no other', async () => {
    const doc = await fetchDoc();
    const routes: Route[] = [...productRoutes(pg.database.db as Kysely<ServiceDatabase>), ...importRoutes(pg.database)];
    const taking = routes.filter((r) => r.idempotency !== 'none');
    expect(taking.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['POST /products', 'POST /products/:id/restore', 'POST /products/:id/revert']),
    );
    for (const route of routes) {
      const label = `${route.method} ${route.url}`;
      const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()] as Operation;
      const header = op.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      if (route.idempotency === 'none') {
        expect(header, label).toBeUndefined();
        continue;
      }
      expect(header, label).toMatchObject({ required: route.idempotency === 'required', schema: { type: 'string', minLength: 1, maxLength: 255 } });
      const codes = (status: string) => problemCodes(op, status);
      expect(codes('409'), label).toContain('IDEMPOTENCY_KEY_IN_FLIGHT');
      expect(op.responses['409']?.headers, label).toHaveProperty('Retry-After');
      expect(codes('422'), label).toContain('IDEMPOTENCY_KEY_MISMATCH');
      expect(codes('400'), label).toContain('IDEMPOTENCY_KEY_INVALID');
      for (const [status, response] of Object.entries(op.responses)) {
        if (status.startsWith('2')) expect(response.headers, `${label} ${status}`).toHaveProperty('Idempotent-Replayed');
      }
    }
  });

  it('the documented idempotency answers are the ones the service gives', async () => {
    const doc = await fetchDoc();
    const documented = (status: string) => problemCodes(doc.paths['/products']?.post, status);
    await pg.withSession((d) => migrateService(d.db));
    const app = await buildApp({ database: pg.database, logger: false });
    const authorization = `Bearer ${(await principalWith(pg.database.db, ['catalog:write'])).token}`;
    const inject = (options: InjectOptions) => app.inject(withToken(options, authorization.slice(7)));
    try {
      const body = { sku: 'IDEM-DOC-1', name: 'a', price: 1, currency: 'EUR' };
      const first = await inject({ method: 'POST', url: '/products', headers: { 'idempotency-key': 'doc-1' }, payload: body });
      expect(first.statusCode).toBe(201);
      const replay = await inject({ method: 'POST', url: '/products', headers: { 'idempotency-key': 'doc-1' }, payload: body });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      const other = await inject({ method: 'POST', url: '/products', headers: { 'idempotency-key': 'doc-1' }, payload: { ...body, name: 'b' } });
      expect(other.statusCode).toBe(422);
      expect(documented('422')).toContain(other.json().code);
      const invalid = await inject({ method: 'POST', url: '/products', headers: { 'idempotency-key': 'bad key' }, payload: body });
      expect(invalid.statusCode).toBe(400);
      expect(documented('400')).toContain(invalid.json().code);
    } finally {
      await app.close();
    }
  });

  it('every operation shows an example request body and example responses, and the examples fit their schemas', async () => {
    const doc = await fetchDoc();
    const routes: Route[] = [...productRoutes(pg.database.db as Kysely<ServiceDatabase>), ...importRoutes(pg.database), ...adminRoutes(pg.database.db)];
    for (const route of routes) {
      const label = `${route.method} ${route.url}`;
      const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()] as Operation;
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        const schema = media.schema as Json;
        const example = media.example ?? (schema.examples as unknown[] | undefined)?.[0];
        expect(example, `${label} ${type}`).toBeDefined();
        if (route.schemas.body) expect(route.schemas.body.safeParse(example).success, `${label}: the example body passes validation`).toBe(true);
      }
      for (const [status, response] of Object.entries(op.responses)) {
        const content = response.content as Record<string, Json> | undefined;
        for (const [type, media] of Object.entries(content ?? {})) {
          if (type === 'application/problem+json') continue;
          const ref = String((media.schema as Json).$ref ?? '').replace('#/components/schemas/', '');
          const schema = doc.components.schemas[ref] as Json;
          const examples = schema?.examples as unknown[] | undefined;
          expect(examples?.length, `${label} ${status}`).toBeGreaterThan(0);
          keysMatch(examples?.[0], schema, `${label} ${status}`);
        }
      }
      for (const param of op.parameters ?? []) {
        if (param.in === 'path') expect(param.example, `${label} ${String(param.name)}`).toBeDefined();
      }
    }
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (!status.startsWith('4') && !status.startsWith('5')) continue;
          expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toContain('application/problem+json');
        }
      }
    }
  });
});

describe('openApiDocument', () => {
  const Thing = defineOutput('Thing', z.object({ id: z.string() }).meta({ examples: [{ id: 't-1' }] }), (r: { id: string }) => ({ id: r.id }));
  const routes = [
    defineRoute({
      method: 'POST',
      url: '/things',
      scope: 'public',
      summary: 'Create a thing',
      body: z.strictObject({ price: z.number().transform((v) => BigInt(v)) }).meta({ examples: [{ price: 100 }] }),
      responses: { 201: Thing },
      handler: async () => reply(201, Thing.from({ id: 't-1' })),
    }),
  ];

  it('keeps an input example of a schema that transforms (zod alone drops it)', () => {
    const doc = openApiDocument(routes, { title: 't', version: '1' });
    const op = doc.paths['/things']?.post as Operation;
    expect(op.requestBody?.content['application/json']?.schema).toMatchObject({ examples: [{ price: 100 }] });
  });

  it('declares security schemes for every operation when given (the place for a bearer scheme)', async () => {
    const doc = openApiDocument(routes, { title: 't', version: '1' }, { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } });
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect((doc.components as Json).securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
  });
});

describe('/docs', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    app = await buildApp({ database: pg.database, logger: false });
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves the API reference and every asset it needs from this service, under a policy that allows no other host', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset, 'a path on this service').toMatch(/^\/docs\/static\//);
      expect((await app.inject({ method: 'GET', url: asset })).statusCode, asset).toBe(200);
    }
    const json = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.json()).toEqual((await app.inject({ method: 'GET', url: '/openapi.json' })).json());
  });
});
