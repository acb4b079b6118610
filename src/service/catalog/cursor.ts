import { HttpProblem } from '../../boundary/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type SortKey = 'created' | 'price' | 'name' | 'deleted';
export type Sort = SortKey | `-${SortKey}`;

export interface Cursor {
  readonly sort: Sort;
  /** The last row's sort value (as text: bigint-safe) and id. */
  readonly value: string;
  readonly id: string;
}

/** Opaque to clients: base64url of the sort, the last value and the last id. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.value, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string, sort: Sort): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((p) => typeof p === 'string')) {
    throw new HttpProblem(400, 'INVALID_CURSOR', 'cursor is not one this API issued', [{ field: 'cursor', in: 'query', message: 'is malformed' }]);
  }
  const [cursorSort, value, id] = parsed as [string, string, string];
  const key = cursorSort.replace(/^-/, '');
  if (!UUID.test(id) || (key === 'price' && !/^\d{1,19}$/.test(value)) || (key === 'deleted' && Number.isNaN(Date.parse(value)))) {
    throw new HttpProblem(400, 'INVALID_CURSOR', 'cursor is not one this API issued', [{ field: 'cursor', in: 'query', message: 'is malformed' }]);
  }
  if (cursorSort !== sort) {
    throw new HttpProblem(400, 'INVALID_CURSOR', `cursor was issued for sort=${cursorSort}, not sort=${sort}`, [
      { field: 'cursor', in: 'query', message: 'belongs to another sort order' },
    ]);
  }
  return { sort, value, id };
}
