import { z } from 'zod';
import type { RouteScope } from './access.js';
import { isBinaryResponse } from './binary.js';
import { type JsonSchema, toJsonSchema } from './json-schema.js';
import { type Problem, problem } from './problem.js';
import type { Route } from './route.js';
import type { Location } from './validate.js';

/** A route documented by hand (non-JSON bodies such as /metrics or the docs page). */
export interface ExtraOperation {
  readonly method: string;
  readonly url: string;
  readonly summary: string;
  readonly tags?: readonly string[];
  /** Who may call it; default `public`. */
  readonly scope?: RouteScope;
  readonly responses: Readonly<Record<string, { readonly description: string; readonly contentType?: string; readonly example?: unknown }>>;
}

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  /** CommonMark, shown at the top of the API reference. */
  readonly description?: string;
}

/** A header, documented once: its schema and an example value. */
export interface HeaderDoc {
  readonly description: string;
  readonly schema: JsonSchema;
  readonly example?: string;
}

/**
 * What a route wrapper (see `RouteWrapper`) adds to the routes it handles: a request header, the
 * problems it answers with itself, and headers it adds to successful answers.
 */
export interface WrapperDoc {
  readonly header: { readonly name: string; readonly description: string; readonly schema: JsonSchema };
  /** Whether the wrapper handles this route, and whether the header is then required. */
  readonly appliesTo: (route: Route) => 'required' | 'optional' | 'none';
  readonly problems: Readonly<
    Record<number, { readonly description: string; readonly examples: readonly Problem[]; readonly headers?: Readonly<Record<string, HeaderDoc>> }>
  >;
  readonly successHeaders?: Readonly<Record<string, HeaderDoc>>;
}

export interface OpenApiOptions {
  /** Routes registered outside `defineRoute` (health, metrics, this document). */
  readonly extras?: readonly ExtraOperation[];
  /** Tags in the order the reference lists them, with a line on each. */
  readonly tags?: readonly { readonly name: string; readonly description: string }[];
  /** Headers and answers added by the route wrappers the routes are registered with. */
  readonly wrappers?: readonly WrapperDoc[];
  /**
   * Security schemes (OpenAPI `components.securitySchemes`); the API reference then offers to
   * authorize. Each operation states its own requirement from its route's scope: the first scheme
   * with the scope (`[{ bearer: ['catalog:read'] }]`), any token (`[{ bearer: [] }]`), or none
   * for a public route (`[]`).
   */
  readonly securitySchemes?: Readonly<Record<string, JsonSchema>>;
}

export type OpenApiDocument = Record<string, unknown> & { readonly paths: Record<string, Record<string, unknown>> };

const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  request_id: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), in: z.enum(['body', 'query', 'path', 'header']), message: z.string() })).optional(),
});

const REQUEST_ID = '0193a0c2-7d1e-7c3a-9f2b-5e8d4a1b6c70';

/** The problems this module's own handlers answer with (see problem.ts), whatever the route. */
const OWN_PROBLEMS: Readonly<Record<number, ProblemNote>> = {
  400: {
    description: '`VALIDATION_FAILED` names every invalid field in `errors`',
    examples: [
      problem(400, 'VALIDATION_FAILED', 'invalid request: price', {
        request_id: REQUEST_ID,
        errors: [{ field: 'price', in: 'body', message: 'must be a whole number of minor units, not a fraction' }],
      }),
    ],
  },
  413: { description: '`PAYLOAD_TOO_LARGE`', examples: [problem(413, 'PAYLOAD_TOO_LARGE', 'Request body is too large', { request_id: REQUEST_ID })] },
  415: {
    description: '`UNSUPPORTED_MEDIA_TYPE`',
    examples: [problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: text/plain', { request_id: REQUEST_ID })],
  },
  500: {
    description: '`INTERNAL_ERROR`: a bug, logged with the request id; the body says nothing more',
    examples: [problem(500, 'INTERNAL_ERROR', 'an unexpected error occurred; it has been logged with this request id', { request_id: REQUEST_ID })],
  },
};

/** The answers of routes that need a token (see access.ts), documented on each of them. */
const AUTH_PROBLEMS: Readonly<Record<number, ProblemNote>> = {
  401: {
    description:
      '`AUTHENTICATION_REQUIRED`: no `Authorization: Bearer <token>`, or a token that is malformed, unknown, expired or revoked (one answer for all), with `WWW-Authenticate: Bearer`',
    examples: [problem(401, 'AUTHENTICATION_REQUIRED', 'send Authorization: Bearer <token> with a valid token', { request_id: REQUEST_ID })],
    headers: { 'WWW-Authenticate': { description: 'the scheme to use', schema: { type: 'string' }, example: 'Bearer realm="strata"' } },
  },
  403: {
    description: "`SCOPE_REQUIRED`: the token is valid but lacks the route's scope",
    examples: [problem(403, 'SCOPE_REQUIRED', 'this route needs the scope catalog:write; the token has catalog:read', { request_id: REQUEST_ID })],
  },
  429: {
    description: '`RATE_LIMITED`: the principal sent more requests than its rate allows',
    examples: [problem(429, 'RATE_LIMITED', 'too many requests from this principal; retry after 1 s', { request_id: REQUEST_ID })],
    headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' }, example: '1' } },
  },
};

function scopeLine(scope: RouteScope): string {
  if (scope === 'public') return 'Public: no token needed.';
  if (scope === 'authenticated') return 'Needs a bearer token (any scope).';
  return `Needs a bearer token with the scope \`${scope}\`.`;
}

function securityOf(scope: RouteScope, scheme: string | undefined): JsonSchema {
  if (!scheme) return {};
  if (scope === 'public') return { security: [] };
  return { security: [{ [scheme]: scope === 'authenticated' ? [] : [scope] }] };
}

const PARAM_IN: Record<Exclude<Location, 'body'>, string> = { path: 'path', query: 'query', header: 'header' };

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function withExample(param: JsonSchema, schema: JsonSchema): JsonSchema {
  const examples = schema.examples;
  return Array.isArray(examples) && examples.length > 0 ? { ...param, example: examples[0] } : param;
}

function parameters(route: Route, wrappers: readonly WrapperDoc[]): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const where of ['path', 'query', 'header'] as const) {
    const schema = route.schemas[where];
    if (!schema) continue;
    const json = toJsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      out.push(withExample({ name, in: PARAM_IN[where], required: where === 'path' || (json.required ?? []).includes(name), schema: property }, property));
    }
  }
  for (const wrapper of wrappers) {
    const use = wrapper.appliesTo(route);
    if (use === 'none') continue;
    const { name, description, schema } = wrapper.header;
    out.push({ name, in: 'header', required: use === 'required', description, schema });
  }
  return out;
}

function headerObjects(headers: Readonly<Record<string, HeaderDoc>>): JsonSchema {
  const out: JsonSchema = {};
  for (const [name, h] of Object.entries(headers))
    out[name] = { description: h.description, schema: h.schema, ...(h.example !== undefined ? { example: h.example } : {}) };
  return out;
}

interface ProblemNote {
  readonly description: string;
  readonly examples: readonly Problem[];
  readonly headers?: Readonly<Record<string, HeaderDoc>>;
}

function problemResponse(status: number, notes: readonly ProblemNote[]): JsonSchema {
  const title = problem(status, 'X').title;
  const description = [`${title} (problem+json)`, ...notes.map((n) => n.description)].join('. ');
  const examples: Record<string, JsonSchema> = {};
  for (const p of notes.flatMap((n) => n.examples)) examples[p.code] = { summary: p.code, value: p };
  const headers = Object.assign({}, ...notes.map((n) => n.headers ?? {})) as Record<string, HeaderDoc>;
  return {
    description,
    ...(Object.keys(headers).length ? { headers: headerObjects(headers) } : {}),
    content: {
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, ...(Object.keys(examples).length ? { examples } : {}) },
    },
  };
}

function requestBody(route: Route): JsonSchema | undefined {
  const body = route.schemas.body;
  if (body) return { required: true, content: { 'application/json': { schema: toJsonSchema(body, 'input') } } };
  if (!route.rawBodies) return undefined;
  const content: Record<string, JsonSchema> = {};
  for (const [type, doc] of Object.entries(route.rawBodies)) {
    content[type] =
      typeof doc === 'string'
        ? { schema: { type: 'string' }, example: doc }
        : { schema: doc.schema, ...(doc.example !== undefined ? { example: doc.example } : {}) };
  }
  return { required: true, content };
}

function operation(route: Route, wrappers: readonly WrapperDoc[], scheme: string | undefined): JsonSchema {
  const active = wrappers.filter((w) => w.appliesTo(route) !== 'none');
  const successHeaders = Object.assign({}, ...active.map((w) => w.successHeaders ?? {})) as Record<string, HeaderDoc>;
  const responses: Record<string, JsonSchema> = {};
  for (const [status, dto] of Object.entries(route.responses)) {
    const headers = Object.keys(successHeaders).length ? { headers: headerObjects(successHeaders) } : {};
    if (isBinaryResponse(dto)) {
      const all = { ...successHeaders, ...dto.headers };
      responses[status] = {
        description: dto.description,
        ...(Object.keys(all).length ? { headers: headerObjects(all) } : {}),
        content: { [dto.contentType]: { schema: { type: 'string', format: 'binary' } } },
      };
      continue;
    }
    responses[status] = dto
      ? { description: dto.name, ...headers, content: { 'application/json': { schema: { $ref: `#/components/schemas/${dto.name}` } } } }
      : { description: 'No content', ...headers };
  }
  const notes = new Map<number, ProblemNote[]>();
  const note = (status: number, n = OWN_PROBLEMS[status]) => {
    const list = notes.get(status) ?? [];
    notes.set(status, n && !list.includes(n) ? [...list, n] : list);
  };
  if (route.schemas.body || route.schemas.query || route.schemas.path || route.schemas.header) note(400);
  for (const status of route.problems) note(status);
  if (route.scope !== 'public') for (const status of route.scope === 'authenticated' ? [401, 429] : [401, 403, 429]) note(status, AUTH_PROBLEMS[status]);
  for (const wrapper of active) for (const [status, n] of Object.entries(wrapper.problems)) note(Number(status), n);
  note(500);
  for (const [status, list] of [...notes].sort(([a], [b]) => a - b)) responses[String(status)] = problemResponse(status, list);
  const params = parameters(route, wrappers);
  const body = requestBody(route);
  return {
    operationId: `${route.method.toLowerCase()}${route.url.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: route.summary,
    description: scopeLine(route.scope),
    ...(route.tags.length ? { tags: [...route.tags] } : {}),
    ...securityOf(route.scope, scheme),
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

function extraOperation(extra: ExtraOperation, scheme: string | undefined): JsonSchema {
  const scope = extra.scope ?? 'public';
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(extra.responses)) {
    responses[status] = r.contentType
      ? {
          description: r.description,
          content: {
            [r.contentType]: {
              schema: { type: typeof r.example === 'object' ? 'object' : 'string' },
              ...(r.example !== undefined ? { example: r.example } : {}),
            },
          },
        }
      : { description: r.description };
  }
  if (scope !== 'public') {
    for (const status of scope === 'authenticated' ? [401, 429] : [401, 403, 429]) {
      const note = AUTH_PROBLEMS[status];
      if (note) responses[String(status)] = problemResponse(status, [note]);
    }
  }
  return {
    summary: extra.summary,
    description: scopeLine(scope),
    ...(extra.tags ? { tags: [...extra.tags] } : {}),
    ...securityOf(scope, scheme),
    responses,
  };
}

/**
 * An OpenAPI 3.1 document for declared routes: request schemas from the input DTOs, response
 * schemas from the output DTOs, problems as RFC 9457 documents, examples from the DTOs'
 * `.meta({ examples })`, and the headers and answers of the route wrappers named in `wrappers`.
 *
 * @example
 * app.get('/openapi.json', async () => openApiDocument(routes, { title: 'shop', version: '1.0.0' }, { wrappers: [IDEMPOTENCY_DOC] }));
 */
export function openApiDocument(routes: readonly Route[], info: OpenApiInfo, options: OpenApiOptions = {}): OpenApiDocument {
  const wrappers = options.wrappers ?? [];
  const scheme = Object.keys(options.securitySchemes ?? {})[0];
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, JsonSchema> = { Problem: toJsonSchema(ProblemSchema, 'output') };
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route, wrappers, scheme) };
    for (const dto of Object.values(route.responses)) if (dto && !isBinaryResponse(dto)) schemas[dto.name] = toJsonSchema(dto.schema, 'output');
  }
  for (const extra of options.extras ?? []) {
    const path = openApiPath(extra.url);
    paths[path] = { ...paths[path], [extra.method.toLowerCase()]: extraOperation(extra, scheme) };
  }
  const security = options.securitySchemes;
  return {
    openapi: '3.1.0',
    info: { ...info },
    ...(options.tags ? { tags: options.tags.map((t) => ({ ...t })) } : {}),
    ...(security ? { security: Object.keys(security).map((name) => ({ [name]: [] })) } : {}),
    paths,
    components: { schemas, ...(security ? { securitySchemes: { ...security } } : {}) },
  };
}
