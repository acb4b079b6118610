import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { accessDeferred, accessInstalled, isRouteScope, type PrincipalFor, principalOf, ROUTE_SCOPE, type RouteScope, settleAccess } from './access.js';
import { type BinaryResponse, isBinaryResponse, isStream, type RawBodyDoc } from './binary.js';
import { type Dto, isDto, type OutputDto } from './dto.js';
import { TAKES_BODY } from './empty-body.js';
import { type JsonSchema, toJsonSchema } from './json-schema.js';
import { closeIfUnread, limitStreamedBody } from './stream-body.js';
import { type Location, parseParts } from './validate.js';

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Declared responses: an output DTO per success status, `null` for an empty body, or `binary(...)` for streamed bytes. */
export type Responses = Readonly<Record<number, OutputDto<z.ZodObject, never> | BinaryResponse | null>>;

type In<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler returns: a declared status with exactly its DTO (or no body). Raw rows do not type-check. */
export type ReplyOf<R extends Responses> = {
  [K in keyof R & number]: {
    readonly status: K;
    readonly body: R[K] extends OutputDto<infer S, never> ? Dto<z.output<S>> : R[K] extends BinaryResponse ? Readable : undefined;
    readonly headers?: Readonly<Record<string, string>>;
  };
}[keyof R & number];

export interface RouteContext<P, Q, B, H, W = unknown> {
  /** Who called: the authorized principal on any route but a public one (see `RouteScope`). */
  readonly principal: W;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly headers: H;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteSpec<P, Q, B, H, R extends Responses, S extends RouteScope = RouteScope> {
  readonly method: HttpMethod;
  /** Fastify path syntax, e.g. `/products/:id`. */
  readonly url: string;
  /** Who may call it (required): a scope such as `catalog:read`, `authenticated` (any valid token) or `public`. */
  readonly scope: S;
  readonly summary: string;
  readonly tags?: readonly string[];
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly headers?: H;
  readonly bodyLimit?: number;
  /** Bodies the handler parses itself (no `body` schema): media type -> an example (or a schema, for bytes and forms), for OpenAPI. */
  readonly rawBodies?: Readonly<Record<string, string | RawBodyDoc>>;
  readonly responses: R;
  /** Problem statuses this route can answer with (documented in OpenAPI). */
  readonly problems?: readonly number[];
  /** Idempotency-Key handling: POST routes default to `optional`, others to `none`. */
  readonly idempotency?: 'none' | 'optional' | 'required';
  /**
   * A read that checks its caller's token in its own statement (the app's `AccessOptions.defer`
   * decides per request): the handler then gets no `principal` and must read through the app's
   * token-checking read (which calls `decideDeferred`); whatever it does, the check is made before
   * any answer leaves. GET routes only.
   */
  readonly deferAccess?: boolean;
  handler(ctx: RouteContext<In<P>, In<Q>, In<B>, In<H>, PrincipalFor<S>>): Promise<ReplyOf<R>>;
}

/** A declared route, erased to what registration and documentation need. */
export interface Route {
  readonly method: HttpMethod;
  readonly url: string;
  readonly scope: RouteScope;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly schemas: Partial<Record<Location, z.ZodType>>;
  readonly bodyLimit?: number;
  readonly rawBodies?: Readonly<Record<string, string | RawBodyDoc>>;
  readonly responses: Responses;
  readonly problems: readonly number[];
  readonly idempotency: 'none' | 'optional' | 'required';
  readonly deferAccess?: boolean;
  readonly run: (ctx: RouteContext<unknown, unknown, unknown, unknown, unknown>) => Promise<RouteResult>;
}

/** A handler's answer on its way out; `raw` is an already-serialized JSON body (a replay). */
export interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly raw?: string | null;
}

/** Runs around every handler after validation, e.g. to replay or record idempotent requests. */
export type RouteWrapper = (route: Route, request: FastifyRequest, execute: () => Promise<RouteResult>) => Promise<RouteResult>;

/**
 * Declares a route whose input is validated and whose output is an output DTO.
 *
 * @example
 * const getProduct = defineRoute({
 *   method: 'GET', url: '/products/:id', scope: 'catalog:read', summary: 'Fetch a product',
 *   params: z.object({ id: uuid() }), responses: { 200: ProductOut },
 *   handler: async ({ params }) => ({ status: 200, body: ProductOut.from(await load(params.id)) }),
 * });
 */
export function defineRoute<
  R extends Responses,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  H extends z.ZodType | undefined = undefined,
  S extends RouteScope = RouteScope,
>(spec: RouteSpec<P, Q, B, H, R, S>): Route {
  const schemas: Partial<Record<Location, z.ZodType>> = {};
  if (spec.params) schemas.path = spec.params;
  if (spec.query) schemas.query = spec.query;
  if (spec.body) schemas.body = spec.body;
  if (spec.headers) schemas.header = spec.headers;
  return {
    method: spec.method,
    url: spec.url,
    scope: spec.scope,
    summary: spec.summary,
    tags: spec.tags ?? [],
    schemas,
    ...(spec.bodyLimit !== undefined ? { bodyLimit: spec.bodyLimit } : {}),
    ...(spec.rawBodies ? { rawBodies: spec.rawBodies } : {}),
    responses: spec.responses,
    problems: spec.problems ?? [],
    idempotency: spec.idempotency ?? (spec.method === 'POST' ? 'optional' : 'none'),
    ...(spec.deferAccess ? { deferAccess: true } : {}),
    run: spec.handler as Route['run'],
  };
}

function responseSchemas(route: Route): Record<number, JsonSchema> {
  const out: Record<number, JsonSchema> = {};
  for (const [status, dto] of Object.entries(route.responses)) {
    if (dto && !isBinaryResponse(dto)) out[Number(status)] = toJsonSchema(dto.schema, 'output');
  }
  return out;
}

const SOURCES: Record<Location, (r: FastifyRequest) => unknown> = {
  path: (r) => r.params,
  query: (r) => r.query,
  body: (r) => r.body,
  header: (r) => r.headers,
};

/**
 * Registers declared routes on a Fastify instance: validate, run (inside `wrap`, if given), send
 * only DTOs. A body a content-type parser hands over as a stream is held to the route's bodyLimit.
 * A route that declares no valid scope is refused, and so is any non-public route on an app
 * without `installAccess` (nothing would check its callers).
 *
 * @example
 * installProblemHandlers(app);
 * installAccess(app, { authorize });
 * registerRoutes(app, routes, { wrap: idempotencyWrapper(db, { principalOf: (req) => principalOf(req)?.id ?? 'anonymous' }) });
 */
export function registerRoutes(app: FastifyInstance, routes: readonly Route[], options: { readonly wrap?: RouteWrapper } = {}): void {
  for (const route of routes) {
    if (!isRouteScope(route.scope)) throw new Error(`${route.method} ${route.url} declares no valid scope (got ${JSON.stringify(route.scope)})`);
    if (route.scope !== 'public' && !accessInstalled(app)) {
      throw new Error(`${route.method} ${route.url} needs scope ${route.scope}, but nothing checks callers: call installAccess(app, ...) first`);
    }
    if (route.deferAccess && route.method !== 'GET') throw new Error(`${route.method} ${route.url}: only GET routes may defer their access check`);
    app.route({
      method: route.method,
      url: route.url,
      ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
      config: { [TAKES_BODY]: route.schemas.body !== undefined, [ROUTE_SCOPE]: route.scope, ...(route.deferAccess ? { deferAccess: true } : {}) },
      schema: { response: responseSchemas(route) },
      handler: async (request, reply) => {
        if (!route.deferAccess) return handle(request, reply);
        // A deferred check is made before anything leaves: a refused caller gets its 401/403/429, never the route's answer or problem.
        try {
          return await handle(request, reply);
        } catch (err) {
          await settleAccess(request);
          throw err;
        }
      },
    });
    async function handle(request: FastifyRequest, reply: FastifyReply) {
      const parts: Partial<Record<Location, [z.ZodType, unknown]>> = {};
      for (const [where, schema] of Object.entries(route.schemas) as [Location, z.ZodType][]) parts[where] = [schema, SOURCES[where](request)];
      const input = parseParts(parts) as Partial<Record<Location, unknown>>;
      const streamed = limitStreamedBody(request);
      const principal = principalOf(request);
      if (route.scope !== 'public' && !principal && !accessDeferred(request))
        throw new Error(`${route.method} ${route.url} ran without an authorized principal`);
      const execute = () => route.run({ principal, params: input.path, query: input.query, body: input.body, headers: input.header, request, reply });
      const result = await (options.wrap ? options.wrap(route, request, execute) : execute()).catch((err: unknown) => {
        if (streamed) closeIfUnread(request, reply);
        throw err;
      });
      if (route.deferAccess) await settleAccess(request);
      if (result.headers) reply.headers(result.headers);
      reply.code(result.status);
      if (result.raw !== undefined)
        return result.raw === null
          ? reply.send()
          : reply
              .type('application/json; charset=utf-8')
              .serializer((p) => p as string)
              .send(result.raw);
      if (result.body === undefined) return reply.send();
      if (isStream(result.body) && isBinaryResponse(route.responses[result.status])) return reply.send(result.body);
      if (!isDto(result.body)) throw new Error(`${route.method} ${route.url} returned a value that is not an output DTO`);
      return result.body;
    }
  }
}

/**
 * A handler's answer: a status, its output DTO (or undefined for no body), optional headers.
 *
 * @example
 * return reply(201, ProductOut.from(row), { location: `/products/${row.id}` });
 */
export function reply<const S extends number, B>(status: S, body: B, headers?: Readonly<Record<string, string>>) {
  return { status, body, ...(headers ? { headers } : {}) };
}
