import { type Kysely, sql } from 'kysely';
import { withTransaction } from '../db/index.js';
import type { BlobBackend } from './backend.js';
import { BLOBS, TRASH } from './tables.js';

/**
 * Takes the transaction-level lock of one object (backend and key). Every placement of an object a
 * row will use, and every removal, happens under it: a removal checks no committed row uses the
 * object, a placement commits its row before the lock is released, so neither undoes the other.
 */
export async function lockObject<DB>(trx: Kysely<DB>, backend: string, key: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`strata.blobs:${backend}:${key}`}, 0))`.execute(trx);
}

/** Removes an object unless a row uses it (checked under its lock), and forgets it in the trash; true when removed. */
export async function removeIfUnused<DB>(db: Kysely<DB>, backend: BlobBackend, key: string): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    await lockObject(trx, backend.name, key);
    const { rows } = await sql<{
      used: boolean;
    }>`SELECT EXISTS (SELECT 1 FROM ${sql.raw(BLOBS)} WHERE backend = ${backend.name} AND key = ${key}) AS used`.execute(trx);
    const used = rows[0]?.used === true;
    if (!used) await backend.remove(key);
    await sql`DELETE FROM ${sql.raw(TRASH)} WHERE backend = ${backend.name} AND key = ${key}`.execute(trx);
    return !used;
  });
}

/** Puts an object in the trash: gc removes it after `removeAfterMs` unless a row uses it again by then. */
export async function trash<DB>(trx: Kysely<DB>, backend: string, key: string, removeAfterMs: number): Promise<void> {
  await sql`INSERT INTO ${sql.raw(TRASH)} (backend, key, remove_after)
            VALUES (${backend}, ${key}, clock_timestamp() + make_interval(secs => ${removeAfterMs / 1000}))
            ON CONFLICT (backend, key) DO UPDATE SET remove_after = GREATEST(${sql.raw(TRASH)}.remove_after, EXCLUDED.remove_after)`.execute(trx);
}
