import { createHash } from 'node:crypto';

const MAX = 63;

/** A name within PostgreSQL's 63 bytes: cut, with a short hash of the whole kept unique. */
export function fitName(name: string): string {
  if (Buffer.byteLength(name) <= MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  let cut = name;
  while (Buffer.byteLength(`${cut}_${hash}`) > MAX) cut = cut.slice(0, -1);
  return `${cut}_${hash}`;
}

/**
 * The schema that holds a migration's version of the tables (views), e.g. `public_0006_stock_bigint`.
 * An application pins its version by qualifying its tables with it (Kysely: `db.withSchema(...)`),
 * which holds through transaction-mode poolers, unlike a session `search_path`.
 *
 * @example
 * db.withSchema(versionSchema('public', '0006_stock_bigint')).selectFrom('products')
 */
export function versionSchema(schema: string, migration: string): string {
  return fitName(`${schema}_${migration}`);
}

/** Prefix of the columns strata adds while a migration is in progress (never shown by a version's views). */
export const SHADOW_PREFIX = '_strata_';

/** The shadow column of a column being retyped. */
export const shadowColumn = (column: string) => fitName(`${SHADOW_PREFIX}new_${column}`);

/** The sync trigger (and its function) a migration puts on one table. Sorts before other triggers, so it runs first. */
export const syncTrigger = (migration: string, table: string) => fitName(`_strata_sync_${migration}_${table}`);

/** The NOT VALID check that stands for NOT NULL until complete. */
export const notNullCheck = (table: string, column: string) => fitName(`_strata_nn_${table}_${column}`);

/** Transaction-local setting a backfill sets (history owns it): the sync triggers stand aside, history records no version for the columns it names. */
export { BACKFILL_SETTING } from '../history/index.js';
