import type { FastifyInstance } from 'fastify';
import { type ExtraOperation, type OpenApiDocument, openApiDocument, type Route, renderDocsPage } from '../../boundary/index.js';

const EXTRAS: readonly ExtraOperation[] = [
  { method: 'GET', url: '/healthz', summary: 'Liveness', tags: ['ops'], responses: { 200: { description: 'alive', contentType: 'application/json' } } },
  {
    method: 'GET',
    url: '/readyz',
    summary: 'Readiness: the database answers',
    tags: ['ops'],
    responses: {
      200: { description: 'ready', contentType: 'application/json' },
      503: { description: 'database unavailable', contentType: 'application/problem+json' },
    },
  },
  { method: 'GET', url: '/metrics', summary: 'Prometheus metrics', tags: ['ops'], responses: { 200: { description: 'metrics', contentType: 'text/plain' } } },
  {
    method: 'GET',
    url: '/openapi.json',
    summary: 'This document',
    tags: ['docs'],
    responses: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } },
  },
  { method: 'GET', url: '/docs', summary: 'This document as a page', tags: ['docs'], responses: { 200: { description: 'HTML', contentType: 'text/html' } } },
];

/** GET /openapi.json and GET /docs for the declared routes. */
export function docsRoutes(app: FastifyInstance, routes: readonly Route[], version: string): OpenApiDocument {
  const doc = openApiDocument(routes, { title: 'strata reference service', version, description: 'A small shop built on strata.' }, EXTRAS);
  const page = renderDocsPage(doc);
  app.get('/openapi.json', async () => doc);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  return doc;
}
