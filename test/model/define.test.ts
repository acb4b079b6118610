import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import { sql } from 'kysely';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { isStrataError } from '../../src/db/index.js';
import {
  applyModel,
  column,
  defineTable,
  introspectModel,
  type Json,
  type ModelDatabase,
  renderModel,
  snapshotOf,
  type TableType,
  zodSchemas,
} from '../../src/model/index.js';
import { usePostgres } from '../support/postgres.js';
import { customers, orders, shop } from './fixtures.js';

const pg = usePostgres();

describe('defineTable: DDL', () => {
  it('renders types, tables (columns, keys, checks, comments), indexes, foreign keys and views in dependency order', () => {
    const ddl = renderModel(snapshotOf([...shop]));
    expect(ddl[0]).toBe(`CREATE TYPE "order_status" AS ENUM ('open', 'paid', 'shipped')`);
    expect(ddl[1]).toBe(`CREATE DOMAIN "positive_amount" AS bigint CONSTRAINT "positive_amount_check" CHECK (VALUE > 0)`);
    expect(ddl).toContain(
      `CREATE TABLE "orders" (
  "id" uuid NOT NULL,
  "number" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  "customer_id" uuid NOT NULL,
  "status" order_status NOT NULL DEFAULT 'open'::order_status,
  "total" positive_amount NOT NULL,
  "lines" integer NOT NULL DEFAULT 0,
  "tags" text[] NOT NULL DEFAULT '{}'::text[],
  "meta" jsonb,
  "amount_text" text GENERATED ALWAYS AS ((total)::text || ' minor units') STORED NOT NULL,
  "cost" numeric(12,2),
  CONSTRAINT "orders_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "orders_lines_nonnegative" CHECK ((lines >= 0))
)`,
    );
    expect(ddl).toContain(`COMMENT ON COLUMN "customers"."name" IS 'as the customer spells it'`);
    expect(ddl).toContain(`CREATE UNIQUE INDEX "customers_email_key" ON "customers" ((lower(email)))`);
    expect(ddl).toContain(`CREATE INDEX "orders_open" ON "orders" ("customer_id") WHERE (status = 'open'::order_status)`);
    expect(ddl).toContain(`CREATE INDEX "orders_tags" ON "orders" USING gin ("tags")`);
    expect(ddl).toContain(
      `ALTER TABLE "orders" ADD CONSTRAINT "orders_customer_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON DELETE RESTRICT`,
    );
    expect(ddl.at(-1)).toBe(`CREATE VIEW "open_orders" AS SELECT id, customer_id, total FROM orders WHERE status = 'open'`);
  });

  it('refuses a definition naming a column it does not declare, or a name used twice', () => {
    const bad = [
      () => defineTable('t', { columns: { id: column('uuid') }, primaryKey: ['nope' as 'id'] }),
      () => defineTable('t', { columns: { id: column('uuid') }, indexes: [{ name: 'i', keys: ['missing'] }] }),
      () => defineTable('t', { columns: { id: column('uuid') }, indexes: [{ name: 'x', keys: ['id'] }], checks: { x: 'true' } }),
      () => defineTable('t', { columns: { id: column('uuid'), k: column('uuid') }, primaryKey: ['id', 'k'], softDelete: true }),
    ];
    for (const make of bad) {
      let caught: unknown;
      try {
        make();
      } catch (err) {
        caught = err;
      }
      expect(isStrataError(caught) && caught.code).toBe('MODEL_INVALID');
    }
  });

  it('applies on PostgreSQL with soft deletes and history through their enablers; the database behaves as declared', async () => {
    const db = pg.database.db;
    await applyModel(db, snapshotOf([...shop]), { schema: 'public' });
    const kinds = await sql<{ relname: string; relkind: string }>`
      SELECT relname, relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v') ORDER BY relname`.execute(db);
    expect(kinds.rows).toEqual([
      { relname: 'customers', relkind: 'v' },
      { relname: 'customers_all', relkind: 'r' },
      { relname: 'customers_deleted', relkind: 'v' },
      { relname: 'customers_history', relkind: 'r' },
      { relname: 'open_orders', relkind: 'v' },
      { relname: 'orders', relkind: 'r' },
    ]);
    const id = '0193a0c2-0000-7000-8000-000000000001';
    await sql`INSERT INTO customers (id, email, name) VALUES (${id}, 'A@x.org', 'Ann')`.execute(db);
    await expect(sql`INSERT INTO customers (id, email, name) VALUES (gen_random_uuid(), 'a@X.org', 'Bob')`.execute(db)).rejects.toMatchObject({
      code: 'UNIQUE_VIOLATION',
    });
    await sql`INSERT INTO orders (id, customer_id, total, meta) VALUES (gen_random_uuid(), ${id}, 250, '{"a":1}')`.execute(db);
    await expect(sql`INSERT INTO orders (id, customer_id, total) VALUES (gen_random_uuid(), ${id}, 0)`.execute(db)).rejects.toMatchObject({
      code: 'CHECK_VIOLATION',
    });
    await expect(sql`INSERT INTO orders (id, customer_id, total, lines) VALUES (gen_random_uuid(), ${id}, 1, -1)`.execute(db)).rejects.toMatchObject({
      code: 'CHECK_VIOLATION',
    });
    const { rows } = await sql<{
      number: bigint;
      status: string;
      amount_text: string;
      tags: string[];
    }>`SELECT number, status, amount_text, tags FROM orders`.execute(db);
    expect(rows).toEqual([{ number: 1n, status: 'open', amount_text: '250 minor units', tags: [] }]);
    const open = await sql<{ total: bigint }>`SELECT total FROM open_orders`.execute(db);
    expect(open.rows).toEqual([{ total: 250n }]);
    await sql`DELETE FROM customers WHERE id = ${id}`.execute(db);
    const versions = await sql<{ operation: string }>`SELECT operation FROM customers_history ORDER BY version`.execute(db);
    expect(versions.rows.map((r) => r.operation)).toEqual(['insert', 'delete']);
  });

  it('reads back what it applied: introspection gives the same tables, with strata’s objects folded back', async () => {
    const live = await introspectModel(pg.database.db, { schema: 'public' });
    expect(live.tables.map((t) => t.name)).toEqual(['customers', 'orders']);
    const c = live.tables[0];
    expect(c?.softDelete).toBe(true);
    expect(c?.history).toBe(true);
    expect(Object.keys(c?.columns ?? {})).toEqual(Object.keys(customers.spec.columns));
    expect(c?.indexes).toEqual([{ name: 'customers_email_key', keys: [{ expression: 'lower(email)' }], unique: true }]);
    expect(c?.comment).toBe('people who order');
    const o = live.tables[1];
    expect(o?.foreignKeys).toEqual(orders.spec.foreignKeys);
    expect(o?.indexes).toEqual(orders.spec.indexes);
    expect(o?.checks).toEqual(orders.spec.checks);
    expect(o?.columns.number).toMatchObject({ identity: 'always', default: null });
    expect(o?.columns.amount_text?.generated).toBe("((total)::text || ' minor units'::text)");
    expect(live.enums).toEqual([{ name: 'order_status', values: ['open', 'paid', 'shipped'], comment: null }]);
    expect(live.domains).toEqual([
      { name: 'positive_amount', type: 'bigint', nullable: true, default: null, checks: { positive_amount_check: '(VALUE > 0)' }, comment: null },
    ]);
    expect(live.views.map((v) => v.name)).toEqual(['open_orders']);
  });
});

describe('defineTable: zod schemas', () => {
  it('the row schema shows exposed columns only; internal ones only when named', async () => {
    const { row } = zodSchemas(orders);
    const stored = (await sql<Record<string, unknown>>`SELECT * FROM orders`.execute(pg.database.db)).rows[0];
    const dto = row.parse(stored);
    expect(Object.keys(dto)).not.toContain('cost');
    expect(Object.keys(dto)).toContain('total');
    expect(Object.keys(zodSchemas(orders, { include: ['cost'] }).row.parse(stored))).toContain('cost');
    expect(Object.keys(zodSchemas(customers).row.shape)).not.toContain('notes');
  });

  it('the insert schema requires what has no default, leaves out generated columns and refuses strangers', () => {
    const { insert } = zodSchemas(orders);
    expect(Object.keys(insert.shape)).not.toContain('number');
    expect(Object.keys(insert.shape)).not.toContain('amount_text');
    expect(insert.safeParse({ id: 'x', customer_id: 'y', total: 5n }).success).toBe(true);
    expect(insert.safeParse({ id: 'x', customer_id: 'y' }).success).toBe(false);
    expect(insert.safeParse({ id: 'x', customer_id: 'y', total: 5n, status: 'lost' }).success).toBe(false);
    expect(insert.safeParse({ id: 'x', customer_id: 'y', total: 5n, number: 1n }).success).toBe(false);
  });
});

describe('defineTable: Kysely types', () => {
  it('types each column as the driver returns it, defaults as Generated, generated columns never written', () => {
    type Orders = TableType<typeof orders>;
    expectTypeOf<Orders['total']>().toEqualTypeOf<bigint>();
    expectTypeOf<Orders['status']>().toEqualTypeOf<Generated<'open' | 'paid' | 'shipped'>>();
    expectTypeOf<Orders['number']>().toEqualTypeOf<ColumnType<bigint, never, never>>();
    expectTypeOf<Orders['meta']>().toEqualTypeOf<Json | null>();
    expectTypeOf<Orders['cost']>().toEqualTypeOf<string | null>();
    expectTypeOf<Orders['tags']>().toEqualTypeOf<Generated<string[]>>();
    expectTypeOf<Selectable<Orders>['number']>().toEqualTypeOf<bigint>();
    expectTypeOf<Insertable<Orders>>().toHaveProperty('customer_id');
    type Db = ModelDatabase<typeof shop>;
    expectTypeOf<keyof Db>().toEqualTypeOf<'customers' | 'customers_all' | 'customers_deleted' | 'customers_history' | 'orders' | 'open_orders'>();
    expectTypeOf<Db['customers']['version']>().toEqualTypeOf<ColumnType<number, never, number>>();
    expectTypeOf<Db['customers_all']['deleted_at']>().toEqualTypeOf<ColumnType<Date | null, never, never>>();
  });
});
