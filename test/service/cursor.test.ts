import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../src/boundary/index.js';
import { decodeCursor, encodeCursor, type Sort } from '../../src/service/catalog/cursor.js';
import { encode } from '../support/cursors.js';

/** Cursors by example (pure): the exact problem each refusal is, and the boundary values of each sort's values. */

const ID = '01900000-0000-7000-8000-000000000000';

function refusal(text: string, sort: Sort): Pick<HttpProblem, 'status' | 'code' | 'message' | 'errors'> {
  try {
    decodeCursor(text, sort);
  } catch (err) {
    expect(err).toBeInstanceOf(HttpProblem);
    const { status, code, message, errors } = err as HttpProblem;
    return { status, code, message, errors };
  }
  throw new Error(`decodeCursor accepted ${text} for sort=${sort}`);
}

const MALFORMED = {
  status: 400,
  code: 'INVALID_CURSOR',
  message: 'cursor is not one this API issued',
  errors: [{ field: 'cursor', in: 'query', message: 'is malformed' }],
};

describe('list cursors by example', () => {
  it('a cursor of another sort order is refused as such, naming both', () => {
    expect(refusal(encodeCursor({ sort: 'price', value: '5', id: ID }), '-price')).toEqual({
      status: 400,
      code: 'INVALID_CURSOR',
      message: 'cursor was issued for sort=price, not sort=-price',
      errors: [{ field: 'cursor', in: 'query', message: 'belongs to another sort order' }],
    });
  });

  it('exactly three strings: more parts, or a part of another type, is malformed', () => {
    expect(refusal(encode(['price', '5', ID, 'x']), 'price')).toEqual(MALFORMED);
    expect(refusal(encode(['price', 5, ID]), 'price')).toEqual(MALFORMED);
    expect(refusal(encode(['price', '5']), 'price')).toEqual(MALFORMED);
    expect(refusal('not base64 json', 'price')).toEqual(MALFORMED);
  });

  it('price: up to the largest bigint, not one more', () => {
    expect(decodeCursor(encode(['-price', '9223372036854775807', ID]), '-price').value).toBe('9223372036854775807');
    expect(refusal(encode(['-price', '9223372036854775808', ID]), '-price')).toEqual(MALFORMED);
  });

  it('deleted: only an instant as Date.toISOString writes it for years 0001-9999, a real calendar day', () => {
    expect(decodeCursor(encode(['-deleted', '0001-01-01T00:00:00.000Z', ID]), '-deleted').value).toBe('0001-01-01T00:00:00.000Z');
    for (const value of ['0000-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '2026-02-31T00:00:00.000Z', '2026-13-01T00:00:00.000Z'])
      expect(refusal(encode(['-deleted', value, ID]), '-deleted'), value).toEqual(MALFORMED);
  });

  it('the id is a whole UUID, nothing before or after it; deleted sorts both ways', () => {
    expect(refusal(encode(['price', '5', `x${ID}`]), 'price')).toEqual(MALFORMED);
    expect(refusal(encode(['price', '5', `${ID}x`]), 'price')).toEqual(MALFORMED);
    for (const sort of ['deleted', '-deleted'] as const) {
      const cursor = { sort, value: '2026-01-01T00:00:00.000Z', id: ID };
      expect(decodeCursor(encodeCursor(cursor), sort)).toEqual(cursor);
    }
  });
});
