import type { ColumnType, Generated, Selectable } from 'kysely';

/** The products table as the database holds it, internal columns included. */
export interface ProductsTable {
  id: string;
  sku: string;
  name: string;
  description: Generated<string>;
  price: bigint;
  currency: string;
  stock: Generated<number>;
  tags: Generated<string[]>;
  cost: bigint | null;
  supplier_ref: string | null;
  internal_notes: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
  version: ColumnType<number, never, number>;
}

/** The reference service's database, as Kysely sees it. */
export interface ServiceDatabase {
  products: ProductsTable;
}

export type ProductRow = Selectable<ProductsTable>;
