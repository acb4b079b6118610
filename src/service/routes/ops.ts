import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { problem, sendProblem } from '../../boundary/index.js';
import type { Database } from '../../db/index.js';

export interface OpsRouteOptions {
  readonly database: Database;
  readonly registry: Registry;
}

/** Liveness, readiness (pings the database) and Prometheus metrics. */
export async function opsRoutes(app: FastifyInstance, { database, registry }: OpsRouteOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await database.ping(2000);
      return { status: 'ready', database: database.engine };
    } catch {
      return sendProblem(request, reply, problem(503, 'DATABASE_UNAVAILABLE', 'the database did not answer'));
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
