import { type Kysely, sql } from 'kysely';
import type pg from 'pg';
import { type TransactionOptions, withTransaction } from '../../src/db/index.js';

/**
 * Runs a serializable transaction that `other` (a raw connection) forces into one real
 * serialization failure (write skew on `table`), so `withTransaction` must retry it once.
 * Returns how many attempts it took.
 */
export async function conflictOnce(
  db: Kysely<unknown>,
  other: pg.Client,
  table: string,
  theirs: string,
  mine: string,
  options: TransactionOptions = {},
): Promise<number> {
  await other.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
  await other.query(`SELECT count(*) FROM ${table}`);
  let attempts = 0;
  await withTransaction(
    db,
    async (trx) => {
      attempts++;
      await sql.raw(`SELECT count(*) FROM ${table}`).execute(trx);
      if (attempts === 1) {
        await other.query(`INSERT INTO ${table} VALUES ${theirs}`);
        await other.query('COMMIT');
      }
      await sql.raw(`INSERT INTO ${table} VALUES ${mine}`).execute(trx);
    },
    { ...options, isolation: 'serializable' },
  );
  return attempts;
}
