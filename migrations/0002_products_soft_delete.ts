import type { Kysely } from 'kysely';
import { enableSoftDelete } from '../src/softdelete/index.js';

/** products becomes a live-rows view over products_all; DELETE soft-deletes; SKUs are unique among live rows. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await enableSoftDelete(db, { table: 'products' });
}
