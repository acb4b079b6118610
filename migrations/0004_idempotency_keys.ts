import type { Kysely } from 'kysely';
import { createIdempotencyTable } from '../src/upsert/index.js';

/** Stored responses for Idempotency-Key requests. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createIdempotencyTable(db);
}
