import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { newProduct, useService } from '../support/service.js';

const svc = useService();

const DANGEROUS = [
  'id',
  'version',
  'created_at',
  'updated_at',
  'role',
  '__proto__',
  'constructor',
  'prototype',
  'cost',
  'supplier_ref',
  'supplier_code',
  'internal_notes',
  'deleted_at',
];
const FIELDS = ['sku', 'name', 'description', 'price', 'currency', 'stock', 'tags'];
const MARK = '01900000-dead-7bad-8bad-00000000beef';

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(MARK, 1999, -1, 0.5, 2 ** 53 + 2, '1999', 'EUR', 'eur', '', 'x'.repeat(300), ['a'], ['A B'], null, true),
);
const key = fc.oneof(fc.constantFrom(...DANGEROUS, ...FIELDS), fc.string({ maxLength: 12 }));
const body = fc.oneof(
  fc.dictionary(key, value, { maxKeys: 8 }),
  fc
    .record({ base: fc.constant(true), extra: fc.dictionary(fc.constantFrom(...DANGEROUS, ...FIELDS), value, { maxKeys: 3 }) })
    .map(({ extra }) => ({ ...newProduct(), ...extra })),
  fc.constant(undefined).map(() => newProduct()),
  fc.jsonValue(),
);
const headerValue = fc.oneof(fc.constantFrom('"1"', '*', 'W/"1"', '1', '', '"99999999999"', 'null'), fc.string({ maxLength: 20 }));
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml', undefined);
const route = fc.constantFrom('POST /products', 'PATCH /products/:id', 'PUT /products/:id', 'DELETE /products/:id', 'GET /products/:id', 'GET /products');

describe('random bodies and headers never cause a 500 or an unintended write', () => {
  it('holds for thousands of requests across every catalog route', async () => {
    const seed = (await svc.request({ method: 'POST', url: '/products', payload: newProduct() })).json() as { id: string };
    let expectedRows = await svc.rowCount();
    const versions = new Map<string, number>([[seed.id, 1]]);
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(route, body, headerValue, contentType, fc.boolean(), async (which, payload, ifMatch, type, rawText) => {
        requests++;
        const [method, path] = which.split(' ') as [string, string];
        const url = path.replace(':id', seed.id);
        const headers: Record<string, string> = { 'if-match': ifMatch, 'x-request-id': String(ifMatch) };
        if (type) headers['content-type'] = type;
        const res = await svc.request({
          method: method as 'POST',
          url,
          headers,
          ...(payload !== undefined && method !== 'GET' ? { payload: rawText ? JSON.stringify(payload).slice(0, -1) : JSON.stringify(payload) } : {}),
        });
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
        if (res.statusCode === 201) {
          expectedRows++;
          const created = res.json();
          expect(created.version).toBe(1);
          expect(created.id).not.toBe(MARK);
          versions.set(created.id, 1);
        }
        if (res.statusCode === 204) expectedRows--;
        if (method === 'PATCH' && res.statusCode === 200) versions.set(seed.id, (versions.get(seed.id) ?? 0) + 1);
        expect(await svc.rowCount()).toBe(expectedRows);
        if (res.statusCode === 204) {
          const again = (await svc.request({ method: 'POST', url: '/products', payload: newProduct() })).json() as { id: string };
          seed.id = again.id;
          versions.set(seed.id, 1);
          expectedRows++;
        }
      }),
      { numRuns: 2500 },
    );
    expect(requests).toBeGreaterThanOrEqual(2500);
    const rows = await sql<{ id: string; version: number; cost: string | null; supplier_code: string | null; internal_notes: string | null }>`
      SELECT id, version, cost, supplier_code, internal_notes FROM products`.execute(svc.db);
    for (const row of rows.rows) {
      expect(row.id).not.toBe(MARK);
      expect([row.cost, row.supplier_code, row.internal_notes]).toEqual([null, null, null]);
      if (versions.has(row.id)) expect(row.version).toBe(versions.get(row.id));
    }
    expect(Object.getPrototypeOf({}).admin).toBeUndefined();
  }, 240_000);
});
