import type { NamedMigration } from '../src/migrate/index.js';
import * as products from './0001_products.js';
import * as productsSoftDelete from './0002_products_soft_delete.js';
import * as productsHistory from './0003_products_history.js';
import * as idempotencyKeys from './0004_idempotency_keys.js';
import * as productsHistoryRowTriggers from './0005_products_history_row_triggers.js';
import productsStockBigint from './0006_products_stock_bigint.js';
import * as productsImages from './0007_products_images.js';

/**
 * The reference service's migrations, in order. Names never change once released. 0001-0005 are
 * code migrations (written for Kysely's Migrator, which ran them before strata's engine existed: a
 * database it migrated is adopted, nothing runs again); from 0006 on they are declarative.
 */
export const migrations: readonly NamedMigration[] = [
  { name: '0001_products', migration: products },
  { name: '0002_products_soft_delete', migration: productsSoftDelete },
  { name: '0003_products_history', migration: productsHistory },
  { name: '0004_idempotency_keys', migration: idempotencyKeys },
  { name: '0005_products_history_row_triggers', migration: productsHistoryRowTriggers },
  { name: '0006_products_stock_bigint', migration: productsStockBigint },
  { name: '0007_products_images', migration: productsImages },
];
