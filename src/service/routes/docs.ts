import type { FastifyInstance } from 'fastify';
import { type ExtraOperation, type OpenApiDocument, openApiDocument, type Route, registerApiReference } from '../../boundary/index.js';
import { IDEMPOTENCY_DOC } from '../../upsert/index.js';
import { BEARER_SCHEME } from '../auth.js';

const extras = (metricsAccess: 'admin' | 'public'): readonly ExtraOperation[] => [
  {
    method: 'GET',
    url: '/',
    summary: 'Where to start: links to the docs, OpenAPI, health, readiness and metrics',
    tags: ['ops'],
    responses: {
      200: {
        description: 'links (a page of them for a browser)',
        contentType: 'application/json',
        example: {
          service: 'strata reference service',
          links: { docs: '/docs', openapi: '/openapi.json', health: '/healthz', readiness: '/readyz', metrics: '/metrics' },
        },
      },
    },
  },
  {
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness',
    tags: ['ops'],
    responses: { 200: { description: 'alive', contentType: 'application/json', example: { status: 'ok' } } },
  },
  {
    method: 'GET',
    url: '/readyz',
    summary: 'Readiness: the database answers',
    tags: ['ops'],
    responses: {
      200: { description: 'ready', contentType: 'application/json', example: { status: 'ready', database: 'postgres' } },
      503: { description: 'database unavailable', contentType: 'application/problem+json' },
    },
  },
  {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics (scope admin unless STRATA_METRICS_ACCESS=public)',
    tags: ['ops'],
    scope: metricsAccess,
    responses: {
      200: {
        description: 'metrics',
        contentType: 'text/plain',
        example:
          '# HELP strata_db_pool_connections Open connections in the pool, by state.\n# TYPE strata_db_pool_connections gauge\nstrata_db_pool_connections{pool="primary",state="idle"} 2\n',
      },
    },
  },
  {
    method: 'GET',
    url: '/openapi.json',
    summary: 'This document',
    tags: ['docs'],
    responses: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } },
  },
  {
    method: 'GET',
    url: '/docs',
    summary: 'This reference (Swagger UI)',
    tags: ['docs'],
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
  },
];

const TAGS = [
  { name: 'products', description: 'The catalog: create, list, read, change, delete and restore products; their history, diffs and reverts; bulk import' },
  {
    name: 'media',
    description: 'Product images: upload (streamed, checksummed, stored once per content), list, remove, and the bytes themselves with ranges and ETags',
  },
  { name: 'admin', description: 'Principals and API tokens, and deleted products, which no other route shows (scope admin)' },
  { name: 'auth', description: 'Who the token belongs to' },
  { name: 'ops', description: 'Liveness, readiness and Prometheus metrics' },
  { name: 'docs', description: 'This reference and the OpenAPI document behind it' },
];

const DESCRIPTION = `A small shop built on strata: a product catalog with soft deletes, full history and idempotent writes.

- Every route but \`/\`, \`/healthz\`, \`/readyz\`, \`/openapi.json\` and \`/docs\` needs \`Authorization: Bearer <token>\`; each operation names the scope it needs (\`catalog:read\`, \`catalog:write\`, \`admin\`). \`npm start\` prints the first admin token once; "Authorize" above takes a token for "Try it out".
- 401 \`AUTHENTICATION_REQUIRED\` (no token, or one that is unknown, expired or revoked), 403 \`SCOPE_REQUIRED\`, 429 \`RATE_LIMITED\` with \`Retry-After\`.
- JSON fields are snake_case; ids are UUIDv7; money is an integer in minor units (\`"price": 1299\` is 12.99).
- Every error is an RFC 9457 problem (\`application/problem+json\`) with a stable \`code\`.
- \`PATCH\` needs \`If-Match\` with the product's current ETag (its version), e.g. \`If-Match: "3"\`.
- POST routes accept \`Idempotency-Key\`: a retry with the same key gets the first answer again.
- Lists are paged with \`limit\` and the opaque \`next_cursor\` of the previous page.

Machine-readable: [/openapi.json](/openapi.json) (OpenAPI 3.1).`;

/** GET /openapi.json and the API reference at GET /docs, for the declared routes. */
export async function docsRoutes(
  app: FastifyInstance,
  routes: readonly Route[],
  version: string,
  metricsAccess: 'admin' | 'public' = 'admin',
): Promise<OpenApiDocument> {
  const doc = openApiDocument(
    routes,
    { title: 'strata reference service', version, description: DESCRIPTION },
    { tags: TAGS, extras: extras(metricsAccess), wrappers: [IDEMPOTENCY_DOC], securitySchemes: BEARER_SCHEME },
  );
  app.get('/openapi.json', { config: { scope: 'public' } }, async () => doc);
  await registerApiReference(app, doc);
  return doc;
}
