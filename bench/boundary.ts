import type { Kysely } from 'kysely';
import { openPostgres } from '../src/db/index.js';
import { findProduct, insertProduct, listProducts } from '../src/service/catalog/store.js';
import { buildApp, migrateService, type ServiceDatabase } from '../src/service/index.js';
import { benchDatabase } from './lib/database.js';
import { alternate, throughput } from './lib/measure.js';
import { publish } from './lib/report.js';

const REQUESTS = 4000;
const CONCURRENCY = 8;
const ROUNDS = 5;
const PRODUCTS = 500;

const bigintSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? Number(value) : value);

/** GET /products/:id and a 50-item list through the DTO path vs the same queries returning raw rows. */
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
    const app = await buildApp({ database, logger: false });
    app.get('/raw/products/:id', async (request, reply) => {
      const row = await findProduct(db, (request.params as { id: string }).id);
      return reply.type('application/json').send(JSON.stringify(row, bigintSafe));
    });
    app.get('/raw/products', async (_request, reply) => {
      const page = await listProducts(db, { sort: 'created', limit: 50 });
      return reply.type('application/json').send(JSON.stringify({ items: page.rows, next_cursor: page.nextCursor }, bigintSafe));
    });
    await app.ready();
    const get = (url: string) => async () =>
      throughput(REQUESTS, CONCURRENCY, async (i) => {
        const res = await app.inject({ method: 'GET', url: url.replace(':id', ids[i % ids.length] ?? '') });
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
      });
    const measures = [get('/products/:id'), get('/raw/products/:id'), get('/products?limit=50'), get('/raw/products')];
    for (const m of measures) await m();
    const [dtoOne = 0, rawOne = 0, dtoList = 0, rawList = 0] = await alternate(ROUNDS, measures);
    await app.close();
    const one = dtoOne / rawOne;
    const list = dtoList / rawList;
    await publish({
      name: 'boundary',
      title: 'Boundary: DTO path vs raw rows (in-process, Fastify inject)',
      database: target.label,
      columns: ['request', 'raw rows req/s (baseline)', 'DTO path req/s', 'ratio'],
      rows: [
        { request: 'GET /products/:id', 'raw rows req/s (baseline)': Math.round(rawOne), 'DTO path req/s': Math.round(dtoOne), ratio: Number(one.toFixed(3)) },
        {
          request: 'GET /products?limit=50',
          'raw rows req/s (baseline)': Math.round(rawList),
          'DTO path req/s': Math.round(dtoList),
          ratio: Number(list.toFixed(3)),
        },
      ],
      checks: [
        { claim: `GET /products/:id through DTOs keeps >= 0.9x of raw rows (measured ${one.toFixed(3)}x)`, holds: one >= 0.9 },
        { claim: `50-item list through DTOs keeps >= 0.9x of raw rows (measured ${list.toFixed(3)}x)`, holds: list >= 0.9 },
      ],
      notes: [
        `${REQUESTS} requests per round, ${CONCURRENCY} in flight, ${PRODUCTS} products; one warm-up round each, then best of ${ROUNDS} alternating rounds.`,
        'DTO path: zod-validated params/query, explicit row -> DTO mapping, schema-driven serialization (fast-json-stringify) with If-Match/ETag headers.',
        'Raw path: the same store query, the row serialized with JSON.stringify (bigint replaced), internal columns included: what the boundary prevents.',
      ],
    });
  } finally {
    await database.close();
    await target.close();
  }
}
