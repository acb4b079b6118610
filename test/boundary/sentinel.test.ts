import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableSoftDelete } from '../../src/softdelete/index.js';
import { newProduct, useService } from '../support/service.js';

const svc = useService();

const SENTINELS = ['SENTINEL-internal-secret-7f3a', 'SENTINEL-password-hash-91bc', 'SENTINEL-tenant-0d44', 'SENTINEL-supplier-5e2f', 'SENTINEL-notes-a8d1'];
const SENTINEL_COST = 987654321987n;

const PRODUCT_KEYS = ['created_at', 'currency', 'description', 'id', 'name', 'price', 'sku', 'stock', 'tags', 'updated_at', 'version'];
const PAGE_KEYS = ['items', 'next_cursor'];
const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'code', 'detail', 'instance', 'request_id', 'errors']);

const responses: { label: string; res: LightMyRequestResponse }[] = [];

async function hit(label: string, options: Parameters<typeof svc.request>[0]): Promise<LightMyRequestResponse> {
  const res = await svc.request(options);
  responses.push({ label, res });
  return res;
}

describe('no internal column ever leaves the service', () => {
  beforeAll(async () => {
    await sql`ALTER TABLE products_all ADD COLUMN internal_secret text NOT NULL DEFAULT ${sql.lit(SENTINELS[0])},
      ADD COLUMN password_hash text NOT NULL DEFAULT ${sql.lit(SENTINELS[1])},
      ADD COLUMN tenant_id text NOT NULL DEFAULT ${sql.lit(SENTINELS[2])}`.execute(svc.db);
    await enableSoftDelete(svc.db, { table: 'products' });
    const a = (await svc.request({ method: 'POST', url: '/products', payload: newProduct() })).json();
    const b = (await svc.request({ method: 'POST', url: '/products', payload: newProduct() })).json();
    const visible = await sql<{ internal_secret: string }>`SELECT internal_secret FROM products WHERE id = ${a.id}`.execute(svc.db);
    expect(visible.rows).toEqual([{ internal_secret: SENTINELS[0] }]);
    await sql`UPDATE products SET supplier_code = ${SENTINELS[3]}, internal_notes = ${SENTINELS[4]}, cost = ${SENTINEL_COST}`.execute(svc.db);

    const json = { 'content-type': 'application/json' };
    await hit('POST 201', { method: 'POST', url: '/products', payload: newProduct() });
    await hit('POST 400', { method: 'POST', url: '/products', payload: { sku: '' } });
    await hit('POST 409', { method: 'POST', url: '/products', payload: newProduct({ sku: a.sku }) });
    await hit('POST 415', { method: 'POST', url: '/products', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    await hit('POST 413', { method: 'POST', url: '/products', headers: json, payload: JSON.stringify(newProduct({ description: 'x'.repeat(70_000) })) });
    await hit('POST malformed', { method: 'POST', url: '/products', headers: json, payload: '{"sku":' });
    await hit('GET list', { method: 'GET', url: '/products?limit=1' });
    await hit('GET list 400', { method: 'GET', url: '/products?limit=0' });
    await hit('GET list filtered', { method: 'GET', url: `/products?q=${encodeURIComponent(String(a.name))}` });
    await hit('GET 200', { method: 'GET', url: `/products/${a.id}` });
    await hit('GET 404', { method: 'GET', url: '/products/01900000-0000-7000-8000-000000000000' });
    await hit('GET 400', { method: 'GET', url: '/products/not-a-uuid' });
    await hit('PATCH 200', { method: 'PATCH', url: `/products/${a.id}`, headers: { 'if-match': '"2"' }, payload: { stock: 9 } });
    await hit('PATCH 412', { method: 'PATCH', url: `/products/${a.id}`, headers: { 'if-match': '"1"' }, payload: { stock: 8 } });
    await hit('PATCH 428', { method: 'PATCH', url: `/products/${a.id}`, payload: { stock: 8 } });
    await hit('PATCH 400', { method: 'PATCH', url: `/products/${a.id}`, headers: { 'if-match': '"3"' }, payload: { internal_secret: 'x' } });
    await hit('PATCH 404', { method: 'PATCH', url: '/products/01900000-0000-7000-8000-000000000000', headers: { 'if-match': '*' }, payload: { stock: 1 } });
    await hit('PATCH 409', { method: 'PATCH', url: `/products/${b.id}`, headers: { 'if-match': '*' }, payload: { sku: a.sku } });
    await hit('DELETE 204', { method: 'DELETE', url: `/products/${b.id}` });
    await hit('DELETE 404', { method: 'DELETE', url: `/products/${b.id}` });
    await hit('GET deleted list', { method: 'GET', url: '/admin/products/deleted' });
    await hit('POST restore 200', { method: 'POST', url: `/products/${b.id}/restore` });
    await svc.request({ method: 'DELETE', url: `/products/${b.id}` });
    await svc.request({ method: 'POST', url: '/products', payload: newProduct({ sku: b.sku }) });
    await hit('POST restore 409', { method: 'POST', url: `/products/${b.id}/restore` });
    await hit('POST restore 404', { method: 'POST', url: '/products/01900000-0000-7000-8000-000000000000/restore' });
    await hit('GET history 200', { method: 'GET', url: `/products/${a.id}/history` });
    await hit('GET history 404', { method: 'GET', url: '/products/01900000-0000-7000-8000-000000000000/history' });
    await hit('GET as_of 200', { method: 'GET', url: `/products/${a.id}?as_of=${encodeURIComponent(new Date().toISOString())}` });
    await hit('GET as_of 404', { method: 'GET', url: `/products/${a.id}?as_of=2000-01-01T00:00:00Z` });
    await hit('GET diff 200', { method: 'GET', url: `/products/${a.id}/diff?from=1&to=3` });
    await hit('GET diff 404', { method: 'GET', url: `/products/${a.id}/diff?from=1&to=99` });
    await hit('POST revert 200', { method: 'POST', url: `/products/${a.id}/revert`, payload: { version: 1 } });
    await hit('POST revert 404', { method: 'POST', url: `/products/${a.id}/revert`, payload: { version: 99 } });
    await hit('POST revert 400', { method: 'POST', url: `/products/${a.id}/revert`, payload: { version: 'one' } });
    await hit('openapi', { method: 'GET', url: '/openapi.json' });
    await hit('docs', { method: 'GET', url: '/docs' });
    await hit('healthz', { method: 'GET', url: '/healthz' });
    await hit('readyz', { method: 'GET', url: '/readyz' });
    await hit('metrics', { method: 'GET', url: '/metrics' });
    await hit('unknown', { method: 'GET', url: '/products/x/y' });
  });

  it('crawled every status the catalog produces', () => {
    const statuses = new Set(responses.map((r) => r.res.statusCode));
    expect([...statuses].sort()).toEqual([200, 201, 204, 400, 404, 409, 412, 413, 415, 428]);
  });

  it('finds the sentinels in 0 responses (bodies and headers)', () => {
    const leaks = responses.filter(({ res }) => {
      const text = res.body + JSON.stringify(res.headers);
      return SENTINELS.some((s) => text.includes(s)) || text.includes(String(SENTINEL_COST));
    });
    expect(leaks.map((l) => l.label)).toEqual([]);
  });

  it('every labelled request got the status its label names', () => {
    for (const { label, res } of responses) {
      const expected = /\b(\d{3})\b/.exec(label)?.[1];
      if (expected) expect(res.statusCode, label).toBe(Number(expected));
    }
  });

  it("each JSON response's key set equals its declared schema", () => {
    for (const { label, res } of responses) {
      const type = String(res.headers['content-type'] ?? '');
      if (type.startsWith('application/problem+json')) {
        const keys = Object.keys(res.json());
        expect(
          keys.every((k) => PROBLEM_KEYS.has(k)),
          label,
        ).toBe(true);
        for (const required of ['type', 'title', 'status', 'code']) expect(keys, label).toContain(required);
      } else if (label === 'GET history 200') {
        expect(Object.keys(res.json()).sort(), label).toEqual(PAGE_KEYS);
        expect(res.json().items.length, label).toBeGreaterThan(2);
        for (const item of res.json().items) {
          expect(Object.keys(item).sort(), label).toEqual(['actor', 'operation', 'product', 'request_id', 'valid_from', 'valid_to', 'version']);
          if (item.product) expect(Object.keys(item.product).sort(), label).toEqual(PRODUCT_KEYS);
        }
      } else if (label === 'GET diff 200') {
        expect(Object.keys(res.json()).sort(), label).toEqual(['changes', 'from', 'to']);
        for (const change of res.json().changes) expect(PRODUCT_KEYS, label).toContain(change.field);
      } else if (label === 'GET deleted list') {
        expect(Object.keys(res.json()).sort(), label).toEqual(PAGE_KEYS);
        expect(res.json().items.length, label).toBeGreaterThan(0);
        for (const item of res.json().items) expect(Object.keys(item).sort(), label).toEqual([...PRODUCT_KEYS, 'deleted_at', 'deleted_by'].sort());
      } else if (label.startsWith('GET list')) {
        expect(Object.keys(res.json()).sort(), label).toEqual(PAGE_KEYS);
        for (const item of res.json().items) expect(Object.keys(item).sort(), label).toEqual(PRODUCT_KEYS);
      } else if (/^(POST|GET|PATCH|POST restore|POST revert|GET as_of) 20\d$/.test(label)) {
        expect(Object.keys(res.json()).sort(), label).toEqual(PRODUCT_KEYS);
      }
    }
  });
});
