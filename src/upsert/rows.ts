import { StrataError } from '../db/index.js';

export type Row = Readonly<Record<string, unknown>>;

/** What to do with rows that share a key inside one batch. */
export type Dedupe = 'error' | 'last-wins';

const keyOf = (row: Row, key: readonly string[]) =>
  JSON.stringify(
    key.map((k) => row[k]),
    (_, v) => (typeof v === 'bigint' ? `${v}n` : v),
  );

/**
 * Checks a batch before any SQL runs: every row has the same columns, no key column is NULL, and
 * keys are unique within the batch (or the last row per key wins, when asked).
 */
export function checkRows(rows: readonly Row[], key: readonly string[], dedupe: Dedupe, columns: ReadonlySet<string>): { rows: Row[]; names: string[] } {
  const first = rows[0];
  if (!first) return { rows: [], names: [] };
  const names = Object.keys(first);
  const signature = [...names].sort().join(',');
  for (const [i, row] of rows.entries()) {
    if (Object.keys(row).sort().join(',') !== signature)
      throw new StrataError('UPSERT_INVALID_ROWS', `row ${i} has different columns from row 0; every row of a batch must set the same columns`);
    for (const k of key)
      if (row[k] === null || row[k] === undefined)
        throw new StrataError('UPSERT_NULL_KEY', `row ${i} has no value for key column ${k}; NULL never matches, so it would insert a duplicate`);
  }
  for (const name of names) if (!columns.has(name)) throw new StrataError('UPSERT_INVALID_ROWS', `unknown column ${name}`);
  for (const k of key) if (!names.includes(k)) throw new StrataError('UPSERT_NULL_KEY', `rows do not set key column ${k}`);
  const byKey = new Map<string, Row>();
  for (const [i, row] of rows.entries()) {
    const k = keyOf(row, key);
    if (byKey.has(k) && dedupe === 'error') {
      throw new StrataError('UPSERT_DUPLICATE_KEY', `row ${i} repeats the key of an earlier row in the batch; pass dedupe: 'last-wins' to keep the last one`);
    }
    byKey.delete(k);
    byKey.set(k, row);
  }
  return { rows: [...byKey.values()], names };
}
