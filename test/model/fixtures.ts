import { column, defineDomain, defineEnum, defineTable, defineView } from '../../src/model/index.js';

/** A small shop declared code-first: every feature of defineTable once. */
export const orderStatus = defineEnum('order_status', ['open', 'paid', 'shipped']);
export const positiveAmount = defineDomain('positive_amount', 'bigint', { checks: { positive_amount_check: 'VALUE > 0' } });

export const customers = defineTable('customers', {
  columns: {
    id: column('uuid'),
    email: column('text'),
    name: column('text').comment('as the customer spells it'),
    notes: column('text').nullable().internal(),
    created_at: column('timestamp with time zone').default('clock_timestamp()'),
    updated_at: column('timestamp with time zone').default('clock_timestamp()'),
  },
  primaryKey: ['id'],
  indexes: [{ name: 'customers_email_key', keys: [{ expression: 'lower(email)' }], unique: true }],
  softDelete: true,
  history: true,
  comment: 'people who order',
});

export const orders = defineTable('orders', {
  columns: {
    id: column('uuid'),
    number: column('bigint').identity('always'),
    customer_id: column('uuid'),
    status: column(orderStatus).default("'open'::order_status"),
    total: column(positiveAmount),
    lines: column('integer').default('0'),
    tags: column('text[]').default("'{}'::text[]"),
    meta: column('jsonb').nullable(),
    amount_text: column('text').generatedAs("(total)::text || ' minor units'"),
    cost: column('numeric(12,2)').nullable().internal(),
  },
  primaryKey: ['id'],
  indexes: [
    { name: 'orders_open', keys: ['customer_id'], where: "(status = 'open'::order_status)" },
    { name: 'orders_tags', keys: ['tags'], using: 'gin' },
  ],
  checks: { orders_lines_nonnegative: '(lines >= 0)' },
  foreignKeys: [{ name: 'orders_customer_fkey', columns: ['customer_id'], references: { table: 'customers', columns: ['id'] }, onDelete: 'restrict' }],
});

export const openOrders = defineView('open_orders', "SELECT id, customer_id, total FROM orders WHERE status = 'open'", {
  columns: { id: column('uuid'), customer_id: column('uuid'), total: column(positiveAmount) },
});

export const shop = [orderStatus, positiveAmount, customers, orders, openOrders] as const;
