import type { Kysely } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { createPrincipal, issueToken } from '../src/principals/index.js';
import { findProduct, insertProduct, listProducts } from '../src/service/catalog/store.js';
import { buildApp, migrateService, type ServiceDatabase } from '../src/service/index.js';
import { benchDatabase } from './lib/database.js';
import { measureRounds, median, methodNote, ratio, roundRatios, sized, spread, throughput } from './lib/measure.js';
import { publish } from './lib/report.js';

const REQUESTS = sized(4000, 200);
const CONCURRENCY = 8;
const ROUNDS = sized(5, 2);
const PRODUCTS = sized(500, 60);

const bigintSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? Number(value) : value);

const nullable = (type: string) => ({ type: [type, 'null'] });
/** The products row as stored, every column (internal ones too): the raw path's response schema for Fastify's serializer. */
const RAW_ROW = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    sku: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    price: { type: 'integer' },
    currency: { type: 'string' },
    stock: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    cost: nullable('integer'),
    supplier_ref: nullable('string'),
    internal_notes: nullable('string'),
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    version: { type: 'integer' },
  },
} as const;

/**
 * GET /products/:id and a 50-item list through the DTO path vs the same queries returning raw rows,
 * the raw rows serialized both by the DTO path's serializer (Fastify's schema-driven
 * fast-json-stringify: the like-for-like baseline) and by JSON.stringify.
 */
export default async function bench(): Promise<void> {
  const target = await benchDatabase();
  const database = await openPostgres(target.url, { max: CONCURRENCY });
  const db = database.db as Kysely<ServiceDatabase>;
  try {
    await migrateService(db);
    await db.deleteFrom('products').execute();
    const ids: string[] = [];
    for (let i = 0; i < PRODUCTS; i++) {
      const row = await insertProduct(db, {
        sku: `B-${i}`,
        name: `Bench ${i}`,
        description: 'd'.repeat(200),
        price: BigInt(1000 + i),
        currency: 'EUR',
        stock: i,
        tags: ['bench', `t${i % 7}`],
      });
      ids.push(row.id);
    }
    // Every route needs a token since #23: both sides send the same one and declare the same scope.
    // The token is cached (checked once, not per request) so both sides make one round trip: without
    // the cache the DTO reads carry the check in their own statement (#32) and the raw routes would
    // pay a statement of their own, which is not the boundary's cost. The rate limit is off (429s).
    const principal = await createPrincipal(db, `bench-boundary-${Date.now()}`);
    const { token } = await issueToken(db, { principal: principal.id, scopes: ['catalog:read'] });
    const app = await buildApp({ database, logger: false, rateLimit: false, tokenCacheMs: 600_000 });
    const READ = { config: { scope: 'catalog:read' } } as const;
    const one = async (id: string) => findProduct(db, id);
    const page = async () => {
      const result = await listProducts(db, { sort: 'created', limit: 50 });
      return { items: result.rows, next_cursor: result.nextCursor };
    };
    app.get('/raw-json/products/:id', READ, async (request, reply) =>
      reply.type('application/json').send(JSON.stringify(await one((request.params as { id: string }).id), bigintSafe)),
    );
    app.get('/raw-json/products', READ, async (_request, reply) => reply.type('application/json').send(JSON.stringify(await page(), bigintSafe)));
    app.get('/raw/products/:id', { ...READ, schema: { response: { 200: RAW_ROW } } }, async (request) => one((request.params as { id: string }).id));
    app.get(
      '/raw/products',
      { ...READ, schema: { response: { 200: { type: 'object', properties: { items: { type: 'array', items: RAW_ROW }, next_cursor: nullable('string') } } } } },
      page,
    );
    await app.ready();
    const get = (url: string) => () =>
      throughput(REQUESTS, CONCURRENCY, async (i) => {
        const res = await app.inject({ method: 'GET', url: url.replace(':id', ids[i % ids.length] ?? ''), headers: { authorization: `Bearer ${token}` } });
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
      });
    const s = await measureRounds(ROUNDS, {
      dtoOne: get('/products/:id'),
      rawOne: get('/raw/products/:id'),
      jsonOne: get('/raw-json/products/:id'),
      dtoList: get('/products?limit=50'),
      rawList: get('/raw/products'),
      jsonList: get('/raw-json/products'),
    });
    await app.close();
    const one_ = ratio(s.dtoOne, s.rawOne);
    const list = ratio(s.dtoList, s.rawList);
    const row = (request: string, dto: number[], raw: number[], json: number[]) => ({
      request,
      'raw rows, same serializer req/s (baseline)': Math.round(median(raw)),
      'raw rows, JSON.stringify req/s': Math.round(median(json)),
      'DTO path req/s': Math.round(median(dto)),
      'DTO vs raw, same serializer': Number(ratio(dto, raw).toFixed(3)),
      'DTO vs raw, JSON.stringify': Number(ratio(dto, json).toFixed(3)),
    });
    await publish({
      name: 'boundary',
      title: 'Boundary: DTO path vs raw rows (in-process, Fastify inject)',
      database: target.label,
      columns: [
        'request',
        'raw rows, same serializer req/s (baseline)',
        'raw rows, JSON.stringify req/s',
        'DTO path req/s',
        'DTO vs raw, same serializer',
        'DTO vs raw, JSON.stringify',
      ],
      rows: [row('GET /products/:id', s.dtoOne, s.rawOne, s.jsonOne), row('GET /products?limit=50', s.dtoList, s.rawList, s.jsonList)],
      checks: [
        { claim: `GET /products/:id through DTOs keeps >= 0.9x of raw rows with the same serializer (measured ${one_.toFixed(3)}x)`, holds: one_ >= 0.9 },
        { claim: `50-item list through DTOs keeps >= 0.9x of raw rows with the same serializer (measured ${list.toFixed(3)}x)`, holds: list >= 0.9 },
      ],
      notes: [
        methodNote(ROUNDS),
        `${REQUESTS} requests per round, ${CONCURRENCY} in flight, ${PRODUCTS} products; per-round ratios (same serializer): one ${spread(roundRatios(s.dtoOne, s.rawOne), 3)}, list ${spread(roundRatios(s.dtoList, s.rawList), 3)}.`,
        'DTO path: zod-validated params/query, explicit row -> DTO mapping, schema-driven serialization (Fastify response schema, fast-json-stringify) with If-Match/ETag headers.',
        'Raw rows, same serializer: the same store query, the whole row (internal columns included: what the boundary prevents) serialized by Fastify from a response schema of the table, as the DTO path is. This is the baseline of the checks: the difference is the boundary, not the serializer.',
        'Every request carries the same bearer token (scope catalog:read) and every route declares that scope, as the service requires since #23; the per-principal rate limit is off. The DTO reads check the token inside their own statement (#32), the raw routes in a statement of their own before the query, so the DTO side makes one round trip and the raw side two.',
        'Raw rows, JSON.stringify: the same rows serialized with JSON.stringify (bigint replaced), shown for comparison (the baseline of earlier runs of this benchmark, where the serializer, not the boundary, made the difference).',
      ],
    });
  } finally {
    await database.close();
    await target.close();
  }
}
