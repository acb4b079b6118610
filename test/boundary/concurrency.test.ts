import { describe, expect, it } from 'vitest';
import { newProduct, useService } from '../support/service.js';

const svc = useService();

describe('optimistic concurrency on PATCH', () => {
  it('two concurrent PATCHes with the same If-Match: exactly one 200, the other 412 (50 rounds)', async () => {
    for (let round = 0; round < 50; round++) {
      const p = (await svc.request({ method: 'POST', url: '/products', payload: newProduct() })).json() as { id: string };
      const patch = (stock: number) => svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '"1"' }, payload: { stock } });
      const results = await Promise.all([patch(10), patch(20)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 412]);
      const winner = results.find((r) => r.statusCode === 200)?.json();
      const stored = await svc.db.selectFrom('products').select(['stock', 'version']).where('id', '=', p.id).executeTakeFirstOrThrow();
      // stock is bigint in the database since migration 0006 (the API still answers a number).
      expect({ stock: Number(stored.stock), version: stored.version }).toEqual({ stock: winner.stock, version: 2 });
    }
  });

  it('16 concurrent PATCHes on 16 connections with the same If-Match: exactly one wins', async () => {
    const p = (await svc.request({ method: 'POST', url: '/products', payload: newProduct() })).json() as { id: string };
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '"1"' }, payload: { stock: i } })),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    expect(codes.filter((c) => c === 412)).toHaveLength(15);
  });
});
