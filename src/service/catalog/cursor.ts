import { HttpProblem } from '../../boundary/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INT8_MAX = 9223372036854775807n;
/** What `Date.toISOString` writes for years 0001-9999 (the range PostgreSQL's timestamptz reads back). */
const ISO_INSTANT = /^(?!0000)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export type SortKey = 'created' | 'price' | 'name' | 'deleted';
export type Sort = SortKey | `-${SortKey}`;

const SORTS: ReadonlySet<string> = new Set(['created', '-created', 'price', '-price', 'name', '-name', 'deleted', '-deleted']);

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

/** True when `value` is one the API could have issued for a sort on `key`: anything else never reaches SQL. */
function plausible(key: string, value: string): boolean {
  switch (key) {
    case 'created':
      return value === '';
    case 'price':
      return /^(0|[1-9]\d{0,18})$/.test(value) && BigInt(value) <= INT8_MAX;
    case 'deleted':
      return ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;
    default:
      return !value.includes('\u0000') && value.isWellFormed();
  }
}

function malformed(): HttpProblem {
  return new HttpProblem(400, 'INVALID_CURSOR', 'cursor is not one this API issued', [{ field: 'cursor', in: 'query', message: 'is malformed' }]);
}

/** Reads a cursor back for `sort`; a 400 INVALID_CURSOR when it is not one the API issued for that sort. */
export function decodeCursor(text: string, sort: Sort): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((p) => typeof p === 'string')) throw malformed();
  const [cursorSort, value, id] = parsed as [string, string, string];
  if (!SORTS.has(cursorSort) || !UUID.test(id)) throw malformed();
  if (cursorSort !== sort) {
    throw new HttpProblem(400, 'INVALID_CURSOR', `cursor was issued for sort=${cursorSort}, not sort=${sort}`, [
      { field: 'cursor', in: 'query', message: 'belongs to another sort order' },
    ]);
  }
  if (!plausible(sort.replace(/^-/, ''), value)) throw malformed();
  return { sort, value, id };
}
