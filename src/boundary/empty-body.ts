import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Route config flag `registerRoutes` sets on routes that declare a body schema. */
export const TAKES_BODY = 'strataTakesBody';

function takesBody(request: FastifyRequest): boolean {
  return (request.routeOptions.config as unknown as Record<string, unknown>)[TAKES_BODY] === true;
}

/**
 * Lets an empty `application/json` body through to routes that take no body (DELETE, POST
 * .../restore): many clients send `Content-Type: application/json` on every request. A route
 * that declares a body still answers 400 MALFORMED_JSON to an empty one; a non-empty body is
 * parsed as before (prototype poisoning refused).
 *
 * @example
 * const app = Fastify();
 * acceptEmptyJsonBodies(app);
 * registerRoutes(app, routes);
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0 && !takesBody(request)) {
      done(null, undefined);
      return;
    }
    parse(request, String(body), done);
  });
}
