import type { Migration } from 'kysely';
import * as products from './0001_products.js';

/** The reference service's migrations, in order. Names never change once released. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_products': products,
};
