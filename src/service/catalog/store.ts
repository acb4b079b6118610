import { type Kysely, sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { type Cursor, encodeCursor, type Sort } from './cursor.js';
import type { DeletedProductRow, ProductRow, ServiceDatabase } from './schema.js';

export interface NewProduct {
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly price: bigint;
  readonly currency: string;
  readonly stock: number;
  readonly tags: readonly string[];
}

export type ProductChanges = { readonly [K in keyof NewProduct]?: NewProduct[K] | undefined };

export interface ProductFilter {
  readonly q?: string;
  readonly tag?: string;
  readonly minPrice?: bigint;
  readonly maxPrice?: bigint;
  readonly sort: Sort;
  readonly after?: Cursor;
  readonly limit: number;
}

export interface ProductPage {
  readonly rows: ProductRow[];
  readonly nextCursor: string | null;
}

type Db = Kysely<ServiceDatabase>;

export function insertProduct(db: Db, input: NewProduct): Promise<ProductRow> {
  return db
    .insertInto('products')
    .values({ id: uuidv7(), ...input, tags: [...input.tags] })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Every column of the live products (the catalog reads' SELECT). */
const productsSelect = (db: Db) => db.selectFrom('products').selectAll();

/** The SELECT of a product's live row (what `findProduct` runs). */
export function productQuery(db: Db, id: string) {
  return productsSelect(db).where('id', '=', id);
}

/** A live product; with `forUpdate`, its row stays locked until the transaction ends. */
export function findProduct(db: Db, id: string, options: { readonly forUpdate?: boolean } = {}): Promise<ProductRow | undefined> {
  const query = productQuery(db, id);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export type UpdateOutcome =
  | { readonly status: 'updated' | 'unchanged'; readonly row: ProductRow }
  | { readonly status: 'not_found' }
  | { readonly status: 'version_mismatch'; readonly current: number };

/**
 * Updates when the stored version equals `expected` (any version when undefined). The database
 * owns `version` and `updated_at` and skips an update that changes nothing (`unchanged`).
 */
export async function updateProduct(db: Db, id: string, expected: number | undefined, changes: ProductChanges): Promise<UpdateOutcome> {
  const { tags, ...rest } = changes;
  let query = db
    .updateTable('products')
    .set({ ...rest, ...(tags ? { tags: [...tags] } : {}) })
    .where('id', '=', id);
  if (expected !== undefined) query = query.where('version', '=', expected);
  const row = await query.returningAll().executeTakeFirst();
  if (row) return { status: 'updated', row };
  const current = await findProduct(db, id);
  if (!current) return { status: 'not_found' };
  if (expected !== undefined && current.version !== expected) return { status: 'version_mismatch', current: current.version };
  return { status: 'unchanged', row: current };
}

export async function deleteProduct(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('products').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

const SORT_COLUMN = { created: 'id', price: 'price', name: 'name' } as const;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Keyset pagination in a stable order: the sort column, then id. `run` executes the page's SELECT (default: as it is). */
export async function listProducts(
  db: Db,
  filter: ProductFilter,
  run: (query: ReturnType<typeof productsSelect>) => Promise<ProductRow[]> = (query) => query.execute(),
): Promise<ProductPage> {
  const descending = filter.sort.startsWith('-');
  const key = filter.sort.replace(/^-/, '') as keyof typeof SORT_COLUMN;
  const column = SORT_COLUMN[key];
  const direction = descending ? 'desc' : 'asc';
  const cmp = descending ? '<' : '>';
  let query = productsSelect(db);
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`;
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('sku', 'ilike', pattern), eb('description', 'ilike', pattern)]));
  }
  if (filter.tag) query = query.where(sql<boolean>`tags @> ARRAY[${filter.tag}]::text[]`);
  if (filter.minPrice !== undefined) query = query.where('price', '>=', filter.minPrice);
  if (filter.maxPrice !== undefined) query = query.where('price', '<=', filter.maxPrice);
  if (filter.after) {
    const { value, id } = filter.after;
    query =
      column === 'id'
        ? query.where('id', cmp, id)
        : query.where((eb) => eb(eb.refTuple(column, 'id'), cmp, eb.tuple(column === 'price' ? BigInt(value) : value, id)));
  }
  if (column !== 'id') query = query.orderBy(column, direction);
  const rows = await run(query.orderBy('id', direction).limit(filter.limit + 1));
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  const last = page.at(-1);
  const nextCursor = more && last ? encodeCursor({ sort: filter.sort, value: column === 'id' ? '' : String(last[column]), id: last.id }) : null;
  return { rows: page, nextCursor };
}

/** Deleted products, most recently deleted first (keyset on deleted_at, id). */
export async function listDeletedProducts(db: Db, limit: number, after?: Cursor): Promise<{ rows: DeletedProductRow[]; nextCursor: string | null }> {
  let query = db.selectFrom('products_deleted').selectAll();
  if (after) query = query.where((eb) => eb(eb.refTuple('deleted_at', 'id'), '<', eb.tuple(new Date(after.value), after.id)));
  const rows = await query
    .orderBy('deleted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last?.deleted_at ? encodeCursor({ sort: '-deleted', value: last.deleted_at.toISOString(), id: last.id }) : null;
  return { rows: page, nextCursor };
}
