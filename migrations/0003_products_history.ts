import type { Kysely } from 'kysely';
import { enableHistory } from '../src/history/index.js';

/** Every change to a product is versioned by the database; `version` becomes database-owned. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await enableHistory(db, { table: 'products' });
}
