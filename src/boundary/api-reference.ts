import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from './openapi.js';

export interface ApiReferenceOptions {
  /** Where the page is served. Default `/docs`. */
  readonly prefix?: string;
}

/**
 * Nothing on the page may come from, or go to, another host: the browser enforces it.
 * (Swagger UI needs no inline script; its styles are files or set through the DOM.)
 */
const CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self'",
].join('; ');

/**
 * Serves an interactive API reference for an OpenAPI document: Swagger UI with a list of every
 * operation by tag, a filter box, deep links, examples and "Try it out" against this service.
 * Every asset comes from the `@fastify/swagger-ui` package, served by this app; the page's
 * Content-Security-Policy forbids any other host. The document is also served at `<prefix>/json`.
 *
 * @example
 * await registerApiReference(app, openApiDocument(routes, { title: 'shop', version: '1.0.0' }));
 * // GET /docs
 */
export async function registerApiReference(app: FastifyInstance, document: OpenApiDocument, options: ApiReferenceOptions = {}): Promise<void> {
  const info = document.info as { title?: string } | undefined;
  await app.register(fastifySwagger, { mode: 'static', specification: { document: document as never } });
  await app.register(fastifySwaggerUi, {
    routePrefix: options.prefix ?? '/docs',
    staticCSP: CSP,
    theme: { title: `${info?.title ?? 'API'} reference` },
    uiConfig: {
      layout: 'BaseLayout',
      docExpansion: 'list',
      deepLinking: true,
      filter: true,
      displayRequestDuration: true,
      defaultModelsExpandDepth: 0,
      syntaxHighlight: { activate: true, theme: 'agate' },
    },
  });
}
