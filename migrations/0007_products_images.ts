import type { Kysely } from 'kysely';
import { enableAttachments } from '../src/blobs/index.js';

/** A purge of a soft-deleted product (any hard delete of its row) releases its images, in the same transaction. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await enableAttachments(db, { table: 'products' });
}
