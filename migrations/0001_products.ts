import { type Kysely, sql } from 'kysely';

/** The catalog: public fields plus internal columns (cost, supplier_ref, internal_notes) that never leave the service. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE products (
      id uuid PRIMARY KEY,
      sku text NOT NULL,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      price bigint NOT NULL CONSTRAINT products_price_nonnegative CHECK (price >= 0),
      currency text NOT NULL CONSTRAINT products_currency_iso4217 CHECK (currency ~ '^[A-Z]{3}$'),
      stock integer NOT NULL DEFAULT 0 CONSTRAINT products_stock_nonnegative CHECK (stock >= 0),
      tags text[] NOT NULL DEFAULT '{}',
      cost bigint,
      supplier_ref text,
      internal_notes text,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      version integer NOT NULL DEFAULT 1
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX products_sku_key ON products (sku)`.execute(db);
  await sql`CREATE INDEX products_price_id ON products (price, id)`.execute(db);
  await sql`CREATE INDEX products_name_id ON products (name, id)`.execute(db);
  await sql`CREATE INDEX products_tags ON products USING gin (tags)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE products`.execute(db);
}
