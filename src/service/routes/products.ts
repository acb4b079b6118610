import type { FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { defineRoute, HttpProblem, type Route, reply, settleAccess } from '../../boundary/index.js';
import { isStrataError } from '../../db/index.js';
import { diffVersions, listVersions, revertToVersion, versionAt } from '../../history/index.js';
import { type Principal, withPrincipal } from '../../principals/index.js';
import { restore } from '../../softdelete/index.js';
import { upsert } from '../../upsert/index.js';
import type { CheckedRead } from '../auth.js';
import { decodeCursor } from '../catalog/cursor.js';
import type { ProductRow, ServiceDatabase } from '../catalog/schema.js';
import { rowFromSnapshot } from '../catalog/snapshot.js';
import { deleteProduct, findProduct, insertProduct, listDeletedProducts, listProducts, productQuery, updateProduct } from '../catalog/store.js';
import {
  DeletedListQuery,
  DeletedProductPageOut,
  DiffOut,
  DiffQuery,
  HistoryQuery,
  IfMatchHeaders,
  ProductCreate,
  ProductGetQuery,
  ProductListQuery,
  ProductOut,
  ProductPageOut,
  ProductParams,
  ProductPatch,
  ProductUpsert,
  RevertBody,
  SkuParams,
  VersionPageOut,
} from '../dto/products.js';

const BODY_LIMIT = 64 * 1024;
const UPSERT_FIELDS = ['name', 'description', 'price', 'currency', 'stock', 'tags'];
const tags = ['products'];

const etag = (version: number) => `"${version}"`;

function notFound(id: string): HttpProblem {
  return new HttpProblem(404, 'PRODUCT_NOT_FOUND', `no product with id ${id}`);
}

function versionMismatch(current: number, expected: number | undefined): HttpProblem {
  return new HttpProblem(412, 'VERSION_MISMATCH', `the product is at version ${current}, not ${expected}; read it again and retry`, undefined, {
    etag: etag(current),
  });
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

/**
 * The catalog's routes over the products table. The two catalog reads check their caller's token in
 * their own statement (`deferAccess`, `read`: one round trip per request instead of two).
 */
export function productRoutes(
  db: Kysely<ServiceDatabase>,
  read: CheckedRead = async (request, select) => {
    await settleAccess(request);
    return select.execute();
  },
): Route[] {
  /** A product's live row as the 200 response, with its version as ETag; a 404 when it is deleted or unknown. */
  const found = (id: string, row: ProductRow | undefined) => {
    if (!row) throw notFound(id);
    return reply(200, ProductOut.from(row), { etag: etag(row.version) });
  };
  /** One transaction acting for the caller: history records the principal as the actor of each version. */
  const write = <T>(principal: Principal, request: FastifyRequest, work: (trx: Transaction<ServiceDatabase>) => Promise<T>) =>
    withPrincipal(db, principal, work, { requestId: request.id });
  return [
    defineRoute({
      method: 'POST',
      url: '/products',
      scope: 'catalog:write',
      summary: 'Create a product',
      tags,
      body: ProductCreate,
      bodyLimit: BODY_LIMIT,
      responses: { 201: ProductOut },
      problems: [409, 413, 415],
      handler: async ({ principal, body, request }) => {
        const row = await write(principal, request, (trx) => insertProduct(trx, body));
        return reply(201, ProductOut.from(row), { location: `/products/${row.id}`, etag: etag(row.version) });
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/products/by-sku/:sku',
      scope: 'catalog:write',
      summary: 'Create or update the product with this SKU (idempotent: a repeat changes nothing)',
      tags,
      params: SkuParams,
      body: ProductUpsert,
      bodyLimit: BODY_LIMIT,
      responses: { 200: ProductOut, 201: ProductOut },
      problems: [409, 413, 415],
      handler: async ({ principal, params, body, request }) => {
        const [result] = await write(principal, request, (trx) =>
          upsert<ServiceDatabase, ProductRow>(
            trx,
            'products',
            { id: uuidv7(), sku: params.sku, ...body, tags: [...body.tags] },
            { key: ['sku'], update: UPSERT_FIELDS },
          ),
        );
        if (!result) throw new HttpProblem(409, 'UPSERT_CONFLICT', 'the product changed concurrently; retry');
        const headers = { etag: etag(result.row.version), ...(result.action === 'inserted' ? { location: `/products/${result.row.id}` } : {}) };
        return result.action === 'inserted' ? reply(201, ProductOut.from(result.row), headers) : reply(200, ProductOut.from(result.row), headers);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/products',
      scope: 'catalog:read',
      summary: 'List products (keyset pagination, stable order)',
      tags,
      query: ProductListQuery,
      responses: { 200: ProductPageOut },
      deferAccess: true,
      handler: async ({ query, request }) => {
        const page = await listProducts(
          db,
          {
            sort: query.sort,
            limit: query.limit,
            ...(query.q !== undefined ? { q: query.q } : {}),
            ...(query.tag !== undefined ? { tag: query.tag } : {}),
            ...(query.min_price !== undefined ? { minPrice: query.min_price } : {}),
            ...(query.max_price !== undefined ? { maxPrice: query.max_price } : {}),
            ...(query.cursor !== undefined ? { after: decodeCursor(query.cursor, query.sort) } : {}),
          },
          (select) => read(request, select),
        );
        return reply(200, ProductPageOut.from(page));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/products/:id',
      scope: 'catalog:read',
      summary: 'Fetch a product (or, with as_of, the product as it was then); its ETag is its version',
      tags,
      params: ProductParams,
      query: ProductGetQuery,
      responses: { 200: ProductOut },
      problems: [404],
      deferAccess: true,
      handler: async ({ params, query, request }) => {
        if (query.as_of !== undefined) {
          await settleAccess(request);
          const then = await versionAt(db, 'products', params.id, new Date(query.as_of));
          if (!then?.data || then.operation === 'delete' || then.operation === 'purge') {
            throw new HttpProblem(404, 'PRODUCT_NOT_FOUND', `product ${params.id} did not exist at ${query.as_of}`);
          }
          return reply(200, ProductOut.from(rowFromSnapshot(then.data)), { etag: etag(then.version) });
        }
        const [row] = await read(request, productQuery(db, params.id));
        return found(params.id, row);
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/products/:id',
      scope: 'catalog:write',
      summary: 'Change a product; If-Match must carry the current version (optimistic concurrency)',
      tags,
      params: ProductParams,
      headers: IfMatchHeaders,
      body: ProductPatch,
      bodyLimit: BODY_LIMIT,
      responses: { 200: ProductOut },
      problems: [404, 409, 412, 413, 415, 428],
      handler: async ({ principal, params, headers, body, request }) => {
        const expected = expectedVersion(headers['if-match']);
        const outcome = await write(principal, request, (trx) => updateProduct(trx, params.id, expected, body));
        if (outcome.status === 'not_found') throw notFound(params.id);
        if (outcome.status === 'version_mismatch') throw versionMismatch(outcome.current, expected);
        return reply(200, ProductOut.from(outcome.row), { etag: etag(outcome.row.version) });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/products/:id/restore',
      scope: 'admin',
      summary: 'Restore a soft-deleted product (409 when a live product now holds its SKU)',
      tags,
      params: ProductParams,
      responses: { 200: ProductOut },
      problems: [404, 409],
      handler: async ({ principal, params, request }) => {
        const row = await write(principal, request, async (trx) => {
          await restore<ServiceDatabase>(trx, 'products', params.id);
          return findProduct(trx, params.id);
        }).catch((err: unknown) => {
          throw isStrataError(err, 'NOT_FOUND') ? notFound(params.id) : err;
        });
        return found(params.id, row);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/admin/products/deleted',
      scope: 'admin',
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
      scope: 'catalog:write',
      summary: 'Soft-delete a product (restore with POST /products/:id/restore)',
      tags,
      params: ProductParams,
      responses: { 204: null },
      problems: [404],
      handler: async ({ principal, params, request }) => {
        if (!(await write(principal, request, (trx) => deleteProduct(trx, params.id)))) throw notFound(params.id);
        return reply(204, undefined);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/products/:id/history',
      scope: 'catalog:read',
      summary: 'Every version of a product, oldest first (deleted products included)',
      tags,
      params: ProductParams,
      query: HistoryQuery,
      responses: { 200: VersionPageOut },
      problems: [404],
      handler: async ({ params, query }) => {
        const page = await listVersions(db, 'products', params.id, {
          limit: query.limit,
          ...(query.cursor !== undefined ? { afterVersion: Number(query.cursor) } : {}),
        });
        if (page.versions.length === 0 && query.cursor === undefined) throw notFound(params.id);
        const versions = page.versions.map((v) => ({ ...v, row: v.data ? rowFromSnapshot(v.data) : null }));
        return reply(200, VersionPageOut.from({ versions, next: page.nextAfter }));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/products/:id/diff',
      scope: 'catalog:read',
      summary: 'Field-level changes between two versions of a product',
      tags,
      params: ProductParams,
      query: DiffQuery,
      responses: { 200: DiffOut },
      problems: [404],
      handler: async ({ params, query }) => {
        const changes = await diffVersions(db, 'products', params.id, query.from, query.to).catch((err: unknown) => {
          throw isStrataError(err, 'NOT_FOUND') ? new HttpProblem(404, 'VERSION_NOT_FOUND', err.message) : err;
        });
        return reply(200, DiffOut.from({ from: query.from, to: query.to, changes }));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/products/:id/revert',
      scope: 'catalog:write',
      summary: 'Write a new version equal to an earlier one (history is never rewritten); If-Match, when sent, must carry the current version',
      tags,
      params: ProductParams,
      headers: IfMatchHeaders,
      body: RevertBody,
      bodyLimit: BODY_LIMIT,
      responses: { 200: ProductOut },
      problems: [404, 409, 412],
      handler: async ({ principal, params, headers, body, request }) => {
        const ifMatch = headers['if-match'];
        const expected = ifMatch === undefined ? undefined : expectedVersion(ifMatch);
        const row = await write(principal, request, async (trx) => {
          const before = await findProduct(trx, params.id, { forUpdate: true });
          if (!before) throw new HttpProblem(404, 'PRODUCT_NOT_FOUND', `product ${params.id} is deleted or unknown; restore it first`);
          if (expected !== undefined && before.version !== expected) throw versionMismatch(before.version, expected);
          await revertToVersion<ServiceDatabase>(trx, 'products', params.id, body.version, { actor: principal.id, requestId: request.id }).catch(
            (err: unknown) => {
              throw isStrataError(err, 'NOT_FOUND') ? new HttpProblem(404, 'VERSION_NOT_FOUND', err.message) : err;
            },
          );
          return findProduct(trx, params.id);
        });
        return found(params.id, row);
      },
    }),
  ];
}
