import { z } from 'zod';
import { type JsonSchema, toJsonSchema } from './json-schema.js';
import type { Route } from './route.js';
import type { Location } from './validate.js';

/** A route documented by hand (non-JSON bodies such as /metrics or the docs page). */
export interface ExtraOperation {
  readonly method: string;
  readonly url: string;
  readonly summary: string;
  readonly tags?: readonly string[];
  readonly responses: Readonly<Record<string, { readonly description: string; readonly contentType?: string }>>;
}

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
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

const PARAM_IN: Record<Exclude<Location, 'body'>, string> = { path: 'path', query: 'query', header: 'header' };

function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const where of ['path', 'query', 'header'] as const) {
    const schema = route.schemas[where];
    if (!schema) continue;
    const json = toJsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: PARAM_IN[where], required: where === 'path' || (json.required ?? []).includes(name), schema: property });
    }
  }
  return out;
}

function problemResponse(status: number): JsonSchema {
  return { description: `Problem (${status})`, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

function operation(route: Route): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, dto] of Object.entries(route.responses)) {
    responses[status] = dto
      ? { description: dto.name, content: { 'application/json': { schema: { $ref: `#/components/schemas/${dto.name}` } } } }
      : { description: 'No content' };
  }
  for (const status of [...new Set([...(route.schemas.body || route.schemas.query || route.schemas.path ? [400] : []), ...route.problems])]) {
    responses[String(status)] = problemResponse(status);
  }
  responses['500'] = problemResponse(500);
  const params = parameters(route);
  const body = route.schemas.body;
  return {
    operationId: `${route.method.toLowerCase()}${route.url.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: route.summary,
    ...(route.tags.length ? { tags: [...route.tags] } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(body, 'input') } } } } : {}),
    responses,
  };
}

function extraOperation(extra: ExtraOperation): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(extra.responses)) {
    responses[status] = r.contentType
      ? { description: r.description, content: { [r.contentType]: { schema: { type: 'string' } } } }
      : { description: r.description };
  }
  return { summary: extra.summary, ...(extra.tags ? { tags: [...extra.tags] } : {}), responses };
}

/**
 * An OpenAPI 3.1 document for declared routes: request schemas from the input DTOs, response
 * schemas from the output DTOs, problems as RFC 9457 documents.
 *
 * @example
 * app.get('/openapi.json', async () => openApiDocument(routes, { title: 'shop', version: '1.0.0' }));
 */
export function openApiDocument(routes: readonly Route[], info: OpenApiInfo, extras: readonly ExtraOperation[] = []): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, JsonSchema> = { Problem: toJsonSchema(ProblemSchema, 'output') };
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
    for (const dto of Object.values(route.responses)) if (dto) schemas[dto.name] = toJsonSchema(dto.schema, 'output');
  }
  for (const extra of extras) {
    const path = openApiPath(extra.url);
    paths[path] = { ...paths[path], [extra.method.toLowerCase()]: extraOperation(extra) };
  }
  return { openapi: '3.1.0', info: { ...info }, paths, components: { schemas } };
}
