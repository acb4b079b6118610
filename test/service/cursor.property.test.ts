import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../src/boundary/index.js';
import { type Cursor, decodeCursor, encodeCursor, type Sort } from '../../src/service/catalog/cursor.js';
import { forged, INT8_MAX, SORTS } from '../support/cursors.js';

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

describe("list cursors (property tests; #20.10: a forged cursor is a 400 INVALID_CURSOR, never a 422 with PostgreSQL's text)", () => {
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
});
