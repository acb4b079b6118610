import type { FastifyInstance } from 'fastify';
import type { StrataMetrics } from './metrics.js';

/**
 * Times every HTTP request into `strata_http_request_duration_seconds` (route pattern, never the
 * raw URL, so label values stay bounded).
 *
 * @example
 * instrumentHttp(app, metrics);
 */
export function instrumentHttp(app: FastifyInstance, metrics: StrataMetrics): void {
  // A callback hook: it never waits, and an async one costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}
