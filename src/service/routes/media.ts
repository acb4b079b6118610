import { Readable } from 'node:stream';
import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { type AttachmentRecord, type BlobStore, contentDisposition } from '../../blobs/index.js';
import { BINARY_SCHEMA, binary, defineRoute, HttpProblem, noneMatch, parseRange, type Route, reply } from '../../boundary/index.js';
import type { ServiceDatabase } from '../catalog/schema.js';
import { findProduct } from '../catalog/store.js';
import { ImageListOut, ImageOut, ImageParams, MediaHeaders, MediaParams, UploadQuery } from '../dto/media.js';
import { ProductParams } from '../dto/products.js';

export interface MediaOptions {
  readonly store: BlobStore;
  /** Largest image in bytes. */
  readonly maxBytes: number;
  /** Content types an image may be (sniffed from its bytes). */
  readonly contentTypes: readonly string[];
}

const UPLOAD_URL = '/products/:id/images';
/** Room for a multipart body's boundaries and part headers around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;
const OWNER = 'products';
const ROLE = 'image';

const isRawImage = (type: string) => type.startsWith('image/') || type === 'application/octet-stream';

/** Lets image uploads through as streams (raw bytes or multipart), for the upload route only. */
export function acceptMediaBodies(app: FastifyInstance): void {
  app.addContentTypeParser(/^(image\/[\w.+-]+|application\/octet-stream|multipart\/form-data)(;.*)?$/i, (request, payload, done) => {
    if (request.routeOptions.url !== UPLOAD_URL)
      done(new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `this route does not take ${request.headers['content-type']}`), undefined);
    else done(null, payload);
  });
}

const tooLarge = (limit: number) => new HttpProblem(413, 'PAYLOAD_TOO_LARGE', `an image is limited to ${limit} bytes`);

/** The first file part of a multipart body, streamed as it arrives, with its file name. */
function filePart(body: Readable, headers: FastifyRequest['headers'], maxBytes: number): Promise<{ source: Readable; fileName: string }> {
  return new Promise((resolve, reject) => {
    const parser = Busboy({ headers: headers as { 'content-type': string }, limits: { files: 1, fileSize: maxBytes, fields: 20, parts: 40 } });
    let found = false;
    parser.on('file', (_field: string, stream: BusboyFileStream, filename: string) => {
      if (found) {
        stream.resume();
        return;
      }
      found = true;
      stream.on('limit', () => stream.destroy(tooLarge(maxBytes)));
      resolve({ source: stream, fileName: filename });
    });
    parser.on('error', (err: unknown) => reject(new HttpProblem(400, 'MALFORMED_MULTIPART', `the multipart body cannot be read: ${(err as Error).message}`)));
    parser.on('finish', () => {
      if (!found) reject(new HttpProblem(400, 'MEDIA_FILE_MISSING', 'the multipart body has no file part (send the image as a part with a filename)'));
    });
    body.on('error', (err) => parser.destroy(err));
    body.pipe(parser);
  });
}

async function uploadSource(request: FastifyRequest, maxBytes: number, queryName: string | undefined): Promise<{ source: Readable; fileName?: string }> {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  const body = request.body;
  if (!(body instanceof Readable) || type === undefined) {
    throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the image as its bytes (Content-Type: image/...) or as multipart/form-data');
  }
  if (type === 'multipart/form-data') return filePart(body, request.headers, maxBytes);
  if (!isRawImage(type))
    throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the image as its bytes (Content-Type: image/...) or as multipart/form-data');
  return { source: body, ...(queryName !== undefined ? { fileName: queryName } : {}) };
}

const etagOf = (a: AttachmentRecord) => `"${a.blob.sha256}"`;

/** The product image routes: upload, list, delete, and GET /media/:id serving the bytes. */
export function mediaRoutes(db: Kysely<ServiceDatabase>, options: MediaOptions): Route[] {
  const { store } = options;
  const owner = (id: string) => ({ table: OWNER, id });
  const productGone = (id: string) => new HttpProblem(404, 'PRODUCT_NOT_FOUND', `no product with id ${id}`);
  /** An image of a live product (a soft-deleted product's images are not served). */
  const findImage = async (id: string) => {
    const found = await store.find(id);
    if (!found || found.ownerTable !== OWNER || found.role !== ROLE || !(await findProduct(db, found.ownerId))) return undefined;
    return found;
  };
  return [
    defineRoute({
      method: 'POST',
      url: UPLOAD_URL,
      scope: 'catalog:write',
      summary:
        'Add an image to a product: its bytes as the body (Content-Type image/...) or a multipart/form-data file part; streamed, checksummed, stored once per content',
      tags: ['media'],
      params: ProductParams,
      query: UploadQuery,
      bodyLimit: options.maxBytes + MULTIPART_OVERHEAD,
      rawBodies: {
        'image/*': { schema: BINARY_SCHEMA },
        'multipart/form-data': { schema: { type: 'object', properties: { file: BINARY_SCHEMA }, required: ['file'] } },
      },
      responses: { 201: ImageOut },
      problems: [404, 413, 415],
      handler: async ({ params, query, request }) => {
        if (!(await findProduct(db, params.id))) throw productGone(params.id);
        const { source, fileName } = await uploadSource(request, options.maxBytes, query.filename);
        const attached = await store.attach({
          owner: owner(params.id),
          role: ROLE,
          source,
          ...(fileName !== undefined ? { fileName } : {}),
          contentTypes: options.contentTypes,
          maxBytes: options.maxBytes,
          // The product must still exist when the image commits, and a purge must wait for it.
          checkOwner: async (trx) => {
            const { rows } = await sql`SELECT 1 FROM products WHERE id = ${params.id} FOR KEY SHARE`.execute(trx);
            if (rows.length === 0) throw productGone(params.id);
          },
        });
        return reply(201, ImageOut.from(attached), { location: `/media/${attached.id}`, etag: etagOf(attached) });
      },
    }),
    defineRoute({
      method: 'GET',
      url: UPLOAD_URL,
      scope: 'catalog:read',
      summary: "List a product's images, in the order they were added",
      tags: ['media'],
      params: ProductParams,
      responses: { 200: ImageListOut },
      problems: [404],
      handler: async ({ params }) => {
        if (!(await findProduct(db, params.id))) throw productGone(params.id);
        return reply(200, ImageListOut.from(await store.list(owner(params.id), ROLE)));
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: `${UPLOAD_URL}/:imageId`,
      scope: 'catalog:write',
      summary: 'Remove an image from a product (its bytes are collected by strata blobs gc once nothing uses them)',
      tags: ['media'],
      params: ImageParams,
      responses: { 204: null },
      problems: [404],
      handler: async ({ params }) => {
        if (!(await findProduct(db, params.id)) || !(await store.detach(params.imageId, owner(params.id)))) {
          throw new HttpProblem(404, 'IMAGE_NOT_FOUND', `product ${params.id} has no image ${params.imageId}`);
        }
        return reply(204, undefined);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/media/:id',
      scope: 'catalog:read',
      summary: 'The bytes of an image, streamed and verified against their SHA-256 as they go; ETag, If-None-Match (304) and one byte range (206, 416)',
      tags: ['media'],
      params: MediaParams,
      headers: MediaHeaders,
      responses: {
        200: binary('the bytes, with their sniffed Content-Type, ETag (the SHA-256) and Content-Disposition', 'image/*'),
        206: binary('the requested range, with Content-Range', 'image/*'),
        304: null,
      },
      problems: [404, 416],
      handler: async ({ params, headers, request }) => {
        const found = await findImage(params.id);
        if (!found) throw new HttpProblem(404, 'MEDIA_NOT_FOUND', `no media with id ${params.id}`);
        const { size, contentType } = found.blob;
        const etag = etagOf(found);
        const common = {
          etag,
          'cache-control': 'no-cache',
          'accept-ranges': 'bytes',
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; sandbox",
        };
        if (noneMatch(headers['if-none-match'], etag)) return reply(304, undefined, common);
        const wanted = headers['if-range'] === undefined || headers['if-range'].trim() === etag ? headers.range : undefined;
        const range = parseRange(wanted, size);
        if (range === 'unsatisfiable') {
          throw new HttpProblem(416, 'RANGE_NOT_SATISFIABLE', `the image has ${size} bytes; ask for a range inside them`, undefined, {
            'content-range': `bytes */${size}`,
          });
        }
        const body = request.method === 'HEAD' ? Readable.from([]) : await store.open(found.blob, range);
        const sent = {
          ...common,
          'content-type': contentType,
          'content-disposition': contentDisposition('inline', found.fileName),
          'content-length': String(range ? range.end - range.start + 1 : size),
        };
        if (range) return reply(206, body, { ...sent, 'content-range': `bytes ${range.start}-${range.end}/${size}` });
        return reply(200, body, sent);
      },
    }),
  ];
}
