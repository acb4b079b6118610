import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../src/boundary/index.js';
import { type Cursor, decodeCursor, encodeCursor, type Sort } from '../../src/service/catalog/cursor.js';
import { newProduct, useService } from '../support/service.js';

const svc = useService();
const SORTS: readonly Sort[] = ['created', '-created', 'price', '-price', 'name', '-name', '-deleted'];
const INT8_MAX = 9223372036854775807n;

const forgedValue = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '\u0000', 'a\u0000', '\ud800', '9999999999999999999', '9223372036854775807', '9223372036854775808', '-1', '01', '1e3'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '2026-02-31T00:00:00.000Z', '1', 'now', '2026-01-01'),
);
const forgedId = fc.oneof(fc.uuid(), fc.constantFrom('01900000-0000-7000-8000-000000000000', 'not-a-uuid', ''), fc.string());
const encode = (parts: unknown) => Buffer.from(JSON.stringify(parts) ?? '').toString('base64url');
/** A cursor for `sort` built like the API's, with forged contents (what reaches SQL unless decoding refuses it). */
const forgedFor = (sort: Sort) => fc.tuple(fc.constant(sort), forgedValue, fc.oneof({ weight: 4, arbitrary: fc.uuid() }, forgedId)).map(encode);
const forged = fc.oneof(
  fc.tuple(fc.constantFrom(...SORTS), forgedValue, forgedId).map(encode),
  fc.jsonValue().map(encode),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.string({ maxLength: 80 }),
);

/** What every decoded cursor must satisfy before it may reach SQL. */
function safe(cursor: Cursor): void {
  expect(cursor.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(cursor.value.includes('\u0000')).toBe(false);
  expect(cursor.value.isWellFormed()).toBe(true);
  const key = cursor.sort.replace(/^-/, '');
  if (key === 'created') expect(cursor.value).toBe('');
  if (key === 'price') expect(BigInt(cursor.value) <= INT8_MAX && /^(0|[1-9]\d*)$/.test(cursor.value)).toBe(true);
  if (key === 'deleted') expect(new Date(cursor.value).toISOString()).toBe(cursor.value);
}

describe('list cursors (property tests)', () => {
  it('decoding any text yields a cursor safe to send to SQL or a 400 INVALID_CURSOR, never anything else', () => {
    fc.assert(
      fc.property(forged, fc.constantFrom(...SORTS), (text, sort) => {
        let cursor: Cursor | undefined;
        try {
          cursor = decodeCursor(text, sort);
        } catch (err) {
          expect(err).toBeInstanceOf(HttpProblem);
          expect([(err as HttpProblem).status, (err as HttpProblem).code]).toEqual([400, 'INVALID_CURSOR']);
          return;
        }
        expect(cursor.sort).toBe(sort);
        safe(cursor);
      }),
      { numRuns: 5000 },
    );
  });

  it('every cursor the API can issue decodes to itself', () => {
    const issued = fc.oneof(
      fc.record({ sort: fc.constantFrom<Sort>('created', '-created'), value: fc.constant(''), id: fc.uuid() }),
      fc.record({ sort: fc.constantFrom<Sort>('price', '-price'), value: fc.bigInt({ min: 0n, max: INT8_MAX }).map(String), id: fc.uuid() }),
      fc.record({
        sort: fc.constantFrom<Sort>('name', '-name'),
        value: fc.string({ unit: 'grapheme', maxLength: 200 }).filter((s) => !s.includes('\u0000')),
        id: fc.uuid(),
      }),
      fc.record({
        sort: fc.constant<Sort>('-deleted'),
        value: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
        id: fc.uuid(),
      }),
    );
    fc.assert(
      fc.property(issued, (cursor) => {
        expect(decodeCursor(encodeCursor(cursor), cursor.sort)).toEqual(cursor);
      }),
      { numRuns: 3000 },
    );
  });

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
