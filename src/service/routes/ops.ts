import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { problem, sendProblem } from '../../boundary/index.js';
import type { Database } from '../../db/index.js';

export interface OpsRouteOptions {
  readonly database: Database;
  readonly registry: Registry;
  /** Who may read /metrics: a token with `admin` (default) or anyone. */
  readonly metricsAccess: 'admin' | 'public';
}

const PUBLIC = { config: { scope: 'public' } } as const;

const LINKS = { docs: '/docs', openapi: '/openapi.json', health: '/healthz', readiness: '/readyz', metrics: '/metrics' } as const;

const LANDING = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>strata reference service</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>strata reference service</h1>
<p>This is an HTTP API. Start with the <a href="${LINKS.docs}">API reference</a>.</p>
<ul>${Object.entries(LINKS)
  .map(([name, href]) => `<li><a href="${href}">${name}</a> <code>${href}</code></li>`)
  .join('')}</ul>
</body></html>`;

/**
 * The landing page (links for people and clients), liveness and readiness (pings the database):
 * public; Prometheus metrics: `admin` unless `metricsAccess` is `public`.
 */
export async function opsRoutes(app: FastifyInstance, { database, registry, metricsAccess }: OpsRouteOptions): Promise<void> {
  app.get('/', PUBLIC, async (request, reply) => {
    if (/\btext\/html\b/.test(request.headers.accept ?? '')) return reply.type('text/html; charset=utf-8').send(LANDING);
    return { service: 'strata reference service', links: LINKS };
  });

  app.get('/healthz', PUBLIC, async () => ({ status: 'ok' }));

  app.get('/readyz', PUBLIC, async (request, reply) => {
    try {
      await database.ping(2000);
      return { status: 'ready', database: database.engine };
    } catch {
      return sendProblem(request, reply, problem(503, 'DATABASE_UNAVAILABLE', 'the database did not answer'));
    }
  });

  app.get('/metrics', { config: { scope: metricsAccess } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
