import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.js';

/** Route config flag `registerRoutes` sets on routes that declare a body schema. */
export const TAKES_BODY = 'strataTakesBody';

function takesBody(request: FastifyRequest): boolean {
  return (request.routeOptions.config as unknown as Record<string, unknown>)[TAKES_BODY] === true;
}

function declaredEmpty(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return length === '0' || (length === undefined && request.headers['transfer-encoding'] === undefined);
}

/** JSON is UTF-8 (RFC 8259): bytes that are not are refused, never decoded to U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Lets an empty body through to routes that take no body (DELETE, POST .../restore), whatever
 * its Content-Type: many clients send `Content-Type: application/json` on every request, and
 * `curl -d ''` sends a form type. A route that declares a body still answers 400 MALFORMED_JSON to
 * an empty JSON body and 415 to a type it does not read; a non-empty JSON body is parsed as before
 * (prototype poisoning refused), once its bytes are checked to be UTF-8 (else 400 MALFORMED_JSON:
 * a stray byte would otherwise be stored as U+FFFD).
 *
 * @example
 * const app = Fastify();
 * acceptEmptyBodies(app);
 * registerRoutes(app, routes);
 */
export function acceptEmptyBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if (body.length === 0 && !takesBody(request)) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = UTF8.decode(body as Buffer);
    } catch {
      done(new HttpProblem(400, 'MALFORMED_JSON', 'the body is not valid UTF-8; send JSON as UTF-8'), undefined);
      return;
    }
    parse(request, text, done);
  });
  app.addContentTypeParser('*', (request, _payload, done) => {
    if (request.is404 || (!takesBody(request) && declaredEmpty(request))) {
      done(null, undefined);
      return;
    }
    const type = String(request.headers['content-type'] ?? 'none');
    done(
      new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not accepted here${takesBody(request) ? '; send application/json' : ''}`),
      undefined,
    );
  });
}
