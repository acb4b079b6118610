import type { ColumnType, Generated, Selectable } from 'kysely';

/** The products table as the database holds it, internal columns included. */
export interface ProductsTable {
  id: string;
  sku: string;
  name: string;
  description: Generated<string>;
  price: bigint;
  currency: string;
  stock: ColumnType<bigint, number | bigint | undefined, number | bigint>;
  tags: Generated<string[]>;
  cost: bigint | null;
  supplier_code: string | null;
  internal_notes: string | null;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
  version: ColumnType<number, never, number>;
}

/** Soft-delete bookkeeping, present on `products_all` and `products_deleted` only. */
export interface SoftDeleteColumns {
  deleted_at: ColumnType<Date | null, never, never>;
  deleted_by: ColumnType<string | null, never, never>;
  deleted_batch: ColumnType<string | null, never, never>;
}

/** The reference service's database, as Kysely sees it: `products` holds live rows only. */
export interface ServiceDatabase {
  products: ProductsTable;
  products_all: ProductsTable & SoftDeleteColumns;
  products_deleted: ProductsTable & SoftDeleteColumns;
}

export type ProductRow = Selectable<ProductsTable>;

export type DeletedProductRow = Selectable<ProductsTable & SoftDeleteColumns>;
