import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forged, forgedFor, SORTS } from '../support/cursors.js';
import { newProduct, useService } from '../support/service.js';

const svc = useService();

describe('list cursors against the database (property test)', () => {
  it('forged cursors against the real database answer 200 or 400 INVALID_CURSOR, never a 422 or 500', async () => {
    for (let i = 0; i < 3; i++) await svc.request({ method: 'POST', url: '/products', payload: newProduct() });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SORTS).chain((sort) => fc.tuple(fc.constant(sort), fc.oneof({ weight: 5, arbitrary: forgedFor(sort) }, forged))),
        async ([sort, cursor]) => {
          const url = sort === '-deleted' ? '/admin/products/deleted' : `/products?sort=${sort}`;
          const res = await svc.request({ method: 'GET', url: `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` });
          if (res.statusCode === 200) return;
          expect(res.statusCode, `${url} ${cursor}: ${res.body}`).toBe(400);
          expect(['INVALID_CURSOR', 'VALIDATION_FAILED'], res.body).toContain(res.json().code);
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);
});
