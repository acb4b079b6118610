import { z } from 'zod';
import { count, currency, defineOutput, MAX_JSON_INTEGER, money, text, uuid } from '../../boundary/index.js';
import type { DeletedProductRow, ProductRow } from '../catalog/schema.js';
import type { ProductPage as Page } from '../catalog/store.js';
import {
  EXAMPLE_CREATE,
  EXAMPLE_CURSOR,
  EXAMPLE_DELETED,
  EXAMPLE_DIFF,
  EXAMPLE_ID,
  EXAMPLE_PATCH,
  EXAMPLE_PRODUCT,
  EXAMPLE_UPSERT,
  EXAMPLE_VERSIONS,
} from './examples.js';

const sku = () =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(64, { error: 'must be at most 64 characters' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'may contain letters, digits, dot, underscore and hyphen, starting with a letter or digit' });

const tag = () => z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'must be 1-32 lower-case letters, digits or hyphens' });

const tags = () =>
  z
    .array(tag())
    .max(20, { error: 'must have at most 20 tags' })
    .refine((t) => new Set(t).size === t.length, { error: 'must not repeat a tag' });

/** POST /products body. Unknown fields (id, version, created_at, …) are rejected, never ignored. */
export const ProductCreate = z
  .strictObject({
    sku: sku(),
    name: text(200),
    description: text(5000, 0).default(''),
    price: money(),
    currency: currency(),
    stock: count().default(0),
    tags: tags().default([]),
  })
  .meta({ examples: [EXAMPLE_CREATE] });

/** PATCH /products/:id body: any subset of the writable fields, at least one. */
export const ProductPatch = z
  .strictObject({
    sku: sku().optional(),
    name: text(200).optional(),
    description: text(5000, 0).optional(),
    price: money().optional(),
    currency: currency().optional(),
    stock: count().optional(),
    tags: tags().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { error: 'must change at least one field' })
  .meta({ examples: [EXAMPLE_PATCH] });

const queryInteger = (name: string) =>
  z
    .string()
    .regex(/^\d{1,16}$/, { error: `${name} must be a non-negative whole number` })
    .transform((v) => BigInt(v))
    .refine((v) => v <= BigInt(MAX_JSON_INTEGER), { error: `${name} must be at most ${MAX_JSON_INTEGER}` });

/** GET /products query string. */
export const ProductListQuery = z.strictObject({
  q: text(100).optional(),
  tag: tag().optional(),
  min_price: queryInteger('min_price').optional(),
  max_price: queryInteger('max_price').optional(),
  sort: z.enum(['created', '-created', 'price', '-price', 'name', '-name']).default('created'),
  cursor: z.string().max(512, { error: 'is too long' }).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: 'must be a whole number from 1 to 100' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 100, { error: 'must be from 1 to 100' })
    .default(20),
});

export const ProductParams = z.strictObject({ id: uuid().meta({ examples: [EXAMPLE_ID] }) });

/** The If-Match header carries the version the client last saw: `"3"`, `3` or `*`. */
export const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(64)
    .meta({ examples: ['"1"'] })
    .optional(),
});

const productSchema = z
  .object({
    id: z.string(),
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    price: z.bigint(),
    currency: z.string(),
    stock: z.number().int(),
    tags: z.array(z.string()),
    created_at: z.date(),
    updated_at: z.date(),
    version: z.number().int(),
  })
  .meta({ examples: [EXAMPLE_PRODUCT] });

/** The public view of a product: an allow-list; internal columns have no way out. */
export const ProductOut = defineOutput('Product', productSchema, (row: ProductRow) => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  description: row.description,
  price: row.price,
  currency: row.currency,
  stock: Number(row.stock),
  tags: row.tags,
  created_at: row.created_at,
  updated_at: row.updated_at,
  version: row.version,
}));

export const ProductPageOut = defineOutput(
  'ProductPage',
  z
    .object({ items: z.array(productSchema), next_cursor: z.string().nullable() })
    .meta({ examples: [{ items: [EXAMPLE_PRODUCT], next_cursor: EXAMPLE_CURSOR }] }),
  (page: Page) => ({
    items: page.rows.map((row) => ProductOut.from(row)),
    next_cursor: page.nextCursor,
  }),
);

const deletedProductSchema = productSchema.extend({ deleted_at: z.date(), deleted_by: z.string() }).meta({ examples: [EXAMPLE_DELETED] });

/** A deleted product as the admin listing shows it: the public fields plus when and by whom. */
export const DeletedProductOut = defineOutput('DeletedProduct', deletedProductSchema, (row: DeletedProductRow) => ({
  ...ProductOut.from(row),
  deleted_at: row.deleted_at ?? new Date(0),
  deleted_by: row.deleted_by ?? 'unknown',
}));

export const DeletedProductPageOut = defineOutput(
  'DeletedProductPage',
  z.object({ items: z.array(deletedProductSchema), next_cursor: z.string().nullable() }).meta({ examples: [{ items: [EXAMPLE_DELETED], next_cursor: null }] }),
  (page: { rows: DeletedProductRow[]; nextCursor: string | null }) => ({
    items: page.rows.map((row) => DeletedProductOut.from(row)),
    next_cursor: page.nextCursor,
  }),
);

export const DeletedListQuery = z.strictObject({
  cursor: z.string().max(512, { error: 'is too long' }).optional(),
  limit: ProductListQuery.shape.limit,
});

/**
 * An offset typed unencoded in a URL (`...T00:34:53+02:00`, from curl or a browser) arrives with
 * its `+` decoded as a space: read it as the `+` it was.
 */
const unencodedPlus = (text: string) => text.replace(/^(\d{4}-\d\d-\d\dT[\d:.]+) (\d\d:\d\d)$/, '$1+$2');

/** GET /products/:id query: `as_of` reads the product as it was at that instant. */
export const ProductGetQuery = z.strictObject({
  as_of: z
    .string()
    .meta({ format: 'date-time', description: 'RFC 3339; a `+` of the offset may be sent unencoded' })
    .transform(unencodedPlus)
    .pipe(z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z' }))
    .optional(),
});

export const HistoryQuery = z.strictObject({
  cursor: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'is not one this API issued' })
    .optional(),
  limit: ProductListQuery.shape.limit,
});

export const DiffQuery = z.strictObject({
  from: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'must be a version number' })
    .meta({ examples: ['1'] })
    .transform(Number),
  to: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'must be a version number' })
    .meta({ examples: ['2'] })
    .transform(Number),
});

export const RevertBody = z
  .strictObject({ version: z.number({ error: 'must be a version number' }).int().min(1).max(999_999_999) })
  .meta({ examples: [{ version: 1 }] });

/** The public product fields: what history snapshots and diffs may show. */
export const PUBLIC_PRODUCT_FIELDS: ReadonlySet<string> = new Set(Object.keys(productSchema.shape));

const versionSchema = z
  .object({
    version: z.number().int(),
    operation: z.enum(['snapshot', 'insert', 'update', 'delete', 'restore', 'purge']),
    valid_from: z.date(),
    valid_to: z.date().nullable(),
    actor: z.string(),
    request_id: z.string().nullable(),
    product: productSchema.nullable(),
  })
  .meta({ examples: [EXAMPLE_VERSIONS[1]] });

export interface VersionSource {
  readonly version: number;
  readonly operation: 'snapshot' | 'insert' | 'update' | 'delete' | 'restore' | 'purge';
  readonly validFrom: Date;
  readonly validTo?: Date;
  readonly actor: string;
  readonly requestId?: string;
  readonly row: ProductRow | null;
}

export const VersionOut = defineOutput('ProductVersion', versionSchema, (v: VersionSource) => ({
  version: v.version,
  operation: v.operation,
  valid_from: v.validFrom,
  valid_to: v.validTo ?? null,
  actor: v.actor,
  request_id: v.requestId ?? null,
  product: v.row ? ProductOut.from(v.row) : null,
}));

export const VersionPageOut = defineOutput(
  'ProductVersionPage',
  z.object({ items: z.array(versionSchema), next_cursor: z.string().nullable() }).meta({ examples: [{ items: EXAMPLE_VERSIONS, next_cursor: null }] }),
  (page: { versions: readonly VersionSource[]; next: number | undefined }) => ({
    items: page.versions.map((v) => VersionOut.from(v)),
    next_cursor: page.next === undefined ? null : String(page.next),
  }),
);

export const DiffOut = defineOutput(
  'ProductDiff',
  z
    .object({ from: z.number().int(), to: z.number().int(), changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })) })
    .meta({ examples: [EXAMPLE_DIFF] }),
  (d: { from: number; to: number; changes: readonly { field: string; from: unknown; to: unknown }[] }) => ({
    from: d.from,
    to: d.to,
    changes: d.changes.filter((c) => PUBLIC_PRODUCT_FIELDS.has(c.field)).map((c) => ({ field: c.field, from: c.from, to: c.to })),
  }),
);

/** PUT /products/by-sku/:sku body: every writable field but the SKU, which the path carries. */
export const ProductUpsert = ProductCreate.omit({ sku: true }).meta({ examples: [EXAMPLE_UPSERT] });

export const SkuParams = z.strictObject({ sku: sku().meta({ examples: [EXAMPLE_CREATE.sku] }) });
