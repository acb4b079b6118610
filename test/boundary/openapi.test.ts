import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/index.js';
import { usePostgres } from '../support/postgres.js';

const pg = usePostgres();

describe('/openapi.json', () => {
  it('is valid OpenAPI 3.1 and documents every route with request and response schemas', async () => {
    const routes: { method: string; url: string }[] = [];
    const app = await buildApp({ database: pg.database, logger: false, onRoute: (r) => routes.push(r) });
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    const docs = await app.inject({ method: 'GET', url: '/docs' });
    await app.close();
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);

    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const r of routes) {
      const op = doc.paths[r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url}`).toBeDefined();
    }
    const create = doc.paths['/products'].post;
    expect(create.requestBody.content['application/json'].schema.properties).toHaveProperty('price');
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(create.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/Product');
    expect(create.responses['400'].content['application/problem+json']).toBeDefined();
    expect(doc.components.schemas.Product.properties.price.type).toBe('integer');
    expect(doc.components.schemas.Product.additionalProperties).toBe(false);
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('/products/{id}');
  });
});
