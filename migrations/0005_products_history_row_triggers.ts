import type { Kysely } from 'kysely';
import { enableHistory } from '../src/history/index.js';

/**
 * Reruns enableHistory on products: a database migrated by 0003 when history used statement-level
 * triggers gets the row-level ones in place (one instant stamps created_at/updated_at and each
 * version's valid_from; a primary key change is refused). No version is lost or written twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await enableHistory(db, { table: 'products' });
}
