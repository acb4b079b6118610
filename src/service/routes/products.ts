import type { Kysely } from 'kysely';
import { defineRoute, HttpProblem, type Route, reply } from '../../boundary/index.js';
import { isStrataError } from '../../db/index.js';
import { restore } from '../../softdelete/index.js';
import { decodeCursor } from '../catalog/cursor.js';
import type { ServiceDatabase } from '../catalog/schema.js';
import { deleteProduct, findProduct, insertProduct, listDeletedProducts, listProducts, updateProduct } from '../catalog/store.js';
import {
  DeletedListQuery,
  DeletedProductPageOut,
  IfMatchHeaders,
  ProductCreate,
  ProductListQuery,
  ProductOut,
  ProductPageOut,
  ProductParams,
  ProductPatch,
} from '../dto/products.js';

const BODY_LIMIT = 64 * 1024;
const tags = ['products'];

const etag = (version: number) => `"${version}"`;

function notFound(id: string): HttpProblem {
  return new HttpProblem(404, 'PRODUCT_NOT_FOUND', `no product with id ${id}`);
}

/** The version an If-Match header asks for; undefined for `*` (any version). */
export function expectedVersion(header: string | undefined): number | undefined {
  if (header === undefined) {
    throw new HttpProblem(
      428,
      'PRECONDITION_REQUIRED',
      'send If-Match with the ETag you last read (e.g. If-Match: "3") so concurrent edits cannot overwrite each other',
    );
  }
  const value = header.trim();
  if (value === '*') return undefined;
  if (value.startsWith('W/')) throw new HttpProblem(412, 'VERSION_MISMATCH', 'a weak ETag never matches If-Match');
  const match = /^"(\d{1,9})"$/.exec(value) ?? /^(\d{1,9})$/.exec(value);
  if (!match?.[1])
    throw new HttpProblem(400, 'VALIDATION_FAILED', 'invalid request: if-match', [{ field: 'if-match', in: 'header', message: 'must be an ETag such as "3"' }]);
  return Number(match[1]);
}

/** The catalog's routes over the products table. */
export function productRoutes(db: Kysely<ServiceDatabase>): Route[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/products',
      summary: 'Create a product',
      tags,
      body: ProductCreate,
      bodyLimit: BODY_LIMIT,
      responses: { 201: ProductOut },
      problems: [409, 413, 415],
      handler: async ({ body }) => {
        const row = await insertProduct(db, body);
        return reply(201, ProductOut.from(row), { location: `/products/${row.id}`, etag: etag(row.version) });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/products',
      summary: 'List products (keyset pagination, stable order)',
      tags,
      query: ProductListQuery,
      responses: { 200: ProductPageOut },
      handler: async ({ query }) => {
        const page = await listProducts(db, {
          sort: query.sort,
          limit: query.limit,
          ...(query.q !== undefined ? { q: query.q } : {}),
          ...(query.tag !== undefined ? { tag: query.tag } : {}),
          ...(query.min_price !== undefined ? { minPrice: query.min_price } : {}),
          ...(query.max_price !== undefined ? { maxPrice: query.max_price } : {}),
          ...(query.cursor !== undefined ? { after: decodeCursor(query.cursor, query.sort) } : {}),
        });
        return reply(200, ProductPageOut.from(page));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/products/:id',
      summary: 'Fetch a product; its ETag is its version',
      tags,
      params: ProductParams,
      responses: { 200: ProductOut },
      problems: [404],
      handler: async ({ params }) => {
        const row = await findProduct(db, params.id);
        if (!row) throw notFound(params.id);
        return reply(200, ProductOut.from(row), { etag: etag(row.version) });
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/products/:id',
      summary: 'Change a product; If-Match must carry the current version (optimistic concurrency)',
      tags,
      params: ProductParams,
      headers: IfMatchHeaders,
      body: ProductPatch,
      bodyLimit: BODY_LIMIT,
      responses: { 200: ProductOut },
      problems: [404, 409, 412, 413, 415, 428],
      handler: async ({ params, headers, body }) => {
        const expected = expectedVersion(headers['if-match']);
        const outcome = await updateProduct(db, params.id, expected, body);
        if (outcome.status === 'not_found') throw notFound(params.id);
        if (outcome.status === 'version_mismatch') {
          throw new HttpProblem(412, 'VERSION_MISMATCH', `the product is at version ${outcome.current}, not ${expected}; read it again and retry`, undefined, {
            etag: etag(outcome.current),
          });
        }
        return reply(200, ProductOut.from(outcome.row), { etag: etag(outcome.row.version) });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/products/:id/restore',
      summary: 'Restore a soft-deleted product (409 when a live product now holds its SKU)',
      tags,
      params: ProductParams,
      responses: { 200: ProductOut },
      problems: [404, 409],
      handler: async ({ params }) => {
        await restore(db, 'products', params.id).catch((err: unknown) => {
          throw isStrataError(err, 'NOT_FOUND') ? notFound(params.id) : err;
        });
        const row = await findProduct(db, params.id);
        if (!row) throw notFound(params.id);
        return reply(200, ProductOut.from(row), { etag: etag(row.version) });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/admin/products/deleted',
      summary: 'List soft-deleted products, most recently deleted first',
      tags: ['admin'],
      query: DeletedListQuery,
      responses: { 200: DeletedProductPageOut },
      handler: async ({ query }) => {
        const after = query.cursor !== undefined ? decodeCursor(query.cursor, '-deleted') : undefined;
        return reply(200, DeletedProductPageOut.from(await listDeletedProducts(db, query.limit, after)));
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/products/:id',
      summary: 'Soft-delete a product (restore with POST /products/:id/restore)',
      tags,
      params: ProductParams,
      responses: { 204: null },
      problems: [404],
      handler: async ({ params }) => {
        if (!(await deleteProduct(db, params.id))) throw notFound(params.id);
        return reply(204, undefined);
      },
    }),
  ];
}
