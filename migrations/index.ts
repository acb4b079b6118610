import type { Migration } from 'kysely';
import * as products from './0001_products.js';
import * as productsSoftDelete from './0002_products_soft_delete.js';
import * as productsHistory from './0003_products_history.js';
import * as idempotencyKeys from './0004_idempotency_keys.js';
import * as productsHistoryRowTriggers from './0005_products_history_row_triggers.js';

/** The reference service's migrations, in order. Names never change once released. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_products': products,
  '0002_products_soft_delete': productsSoftDelete,
  '0003_products_history': productsHistory,
  '0004_idempotency_keys': idempotencyKeys,
  '0005_products_history_row_triggers': productsHistoryRowTriggers,
};
