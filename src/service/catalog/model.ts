import { column, defineTable } from '../../model/index.js';

/**
 * The catalog's table, declared code-first: what migrations/ build (test/model/service.test.ts
 * checks there is no drift). `cost`, `supplier_code` and `internal_notes` are internal: never in
 * an output DTO.
 */
export const products = defineTable('products', {
  columns: {
    id: column('uuid'),
    sku: column('text'),
    name: column('text'),
    description: column('text').default("''::text"),
    price: column('bigint'),
    currency: column('text'),
    tags: column('text[]').default("'{}'::text[]"),
    cost: column('bigint').nullable().internal(),
    supplier_code: column('text').nullable().internal(),
    internal_notes: column('text').nullable().internal(),
    created_at: column('timestamp with time zone').default('clock_timestamp()'),
    updated_at: column('timestamp with time zone').default('clock_timestamp()'),
    stock: column('bigint').default('0'),
  },
  primaryKey: ['id'],
  indexes: [
    { name: 'products_name_id', keys: ['name', 'id'] },
    { name: 'products_price_id', keys: ['price', 'id'] },
    { name: 'products_sku_key', keys: ['sku'], unique: true },
    { name: 'products_tags', keys: ['tags'], using: 'gin' },
  ],
  checks: {
    products_currency_iso4217: "(currency ~ '^[A-Z]{3}$'::text)",
    products_price_nonnegative: '(price >= 0)',
    products_stock_nonnegative: '(stock >= 0)',
  },
  softDelete: true,
  history: true,
});

/** The reference service's schema (for `strata schema drift --model` and `migrate generate`). */
export const model = [products] as const;
