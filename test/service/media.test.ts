import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../../src/blobs/index.js';
import { SCOPES } from '../../src/principals/index.js';
import { buildApp, migrateService } from '../../src/service/index.js';
import { purgeDeleted } from '../../src/softdelete/index.js';
import { describeEachBackend, pngBytes, useBlobs } from '../support/blobs.js';
import { newProduct, principalWith, withToken } from '../support/service.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const LIMIT = 3 * BLOCK_SIZE;

/** The token raw requests send (set by the suite). */
let currentToken = '';

/** A raw HTTP request against a listening app: the body sent chunked (no Content-Length) unless `length` is set. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer; aborted: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { authorization: `Bearer ${currentToken}`, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      let aborted = false;
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('aborted', () => {
        aborted = true;
      });
      res.on('error', () => {
        aborted = true;
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), aborted: aborted || !res.complete }));
    });
    req.on('error', reject);
    if (body) {
      for (let at = 0; at < body.length; at += 65536) req.write(body.subarray(at, at + 65536));
    }
    req.end();
  });
}

describeEachBackend('product images over HTTP', (name) => {
  const blobs = useBlobs();
  let app: FastifyInstance;
  let base = '';
  let token = '';
  const inject = (options: InjectOptions) => app.inject(withToken(options, token));
  beforeAll(async () => {
    await blobs.pg.withSession((d) => migrateService(d.db));
    token = (await principalWith(blobs.pg.database.db, SCOPES)).token;
    currentToken = token;
    app = await buildApp({ database: blobs.pg.database, logger: false, blobs: blobs.store(name), media: { maxBytes: LIMIT } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  const product = async () => {
    const res = await inject({ method: 'POST', url: '/products', payload: newProduct() });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const upload = (id: string, bytes: Buffer, type = 'image/png', url = `/products/${id}/images`) =>
    inject({ method: 'POST', url, headers: { 'content-type': type }, payload: bytes });
  const stored = async () => {
    const { rows } = await sql<{
      n: string;
    }>`SELECT (SELECT count(*) FROM strata.blobs)::text || '/' || (SELECT count(*) FROM strata.attachments)::text AS n`.execute(blobs.pg.database.db);
    let objects = 0;
    for await (const _ of blobs.backend(name).list()) objects += 1;
    return `${rows[0]?.n}/${objects}`;
  };

  it('POST stores the bytes (201 with the media id), GET /media/:id streams them back with type, ETag and file name', async () => {
    const id = await product();
    const bytes = pngBytes(BLOCK_SIZE + 999, 1);
    const res = await upload(id, bytes, 'image/png', `/products/${id}/images?filename=${encodeURIComponent('shop/front "1".png')}`);
    expect(res.statusCode).toBe(201);
    const image = res.json<{ id: string; url: string; sha256: string; size: number; content_type: string; file_name: string }>();
    expect(image).toMatchObject({ sha256: sha(bytes), size: bytes.length, content_type: 'image/png', file_name: 'front 1.png', url: `/media/${image.id}` });
    expect(res.headers.location).toBe(`/media/${image.id}`);
    const got = await inject({ method: 'GET', url: image.url });
    expect(got.statusCode).toBe(200);
    expect(got.rawPayload.equals(bytes)).toBe(true);
    expect(got.headers).toMatchObject({
      'content-type': 'image/png',
      etag: `"${sha(bytes)}"`,
      'content-length': String(bytes.length),
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-disposition': `inline; filename="front 1.png"; filename*=UTF-8''front%201.png`,
    });
    const again = await inject({ method: 'GET', url: image.url, headers: { 'if-none-match': `"${sha(bytes)}"` } });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
    const list = await inject({ method: 'GET', url: `/products/${id}/images` });
    expect(list.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([image.id]);
  });

  it('POST with an Idempotency-Key (docs/service.md: every POST takes one): a retry is replayed and adds no image; other bytes under the key are a 422', async () => {
    const id = await product();
    const bytes = pngBytes(BLOCK_SIZE + 7, 5);
    const post = (body: Buffer) =>
      inject({ method: 'POST', url: `/products/${id}/images`, headers: { 'content-type': 'image/png', 'idempotency-key': `img-${id}` }, payload: body });
    const first = await post(bytes);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const retry = await post(bytes);
    expect([retry.statusCode, retry.headers['idempotent-replayed'], retry.body, retry.headers.location]).toEqual([
      201,
      'true',
      first.body,
      first.headers.location,
    ]);
    const other = await post(pngBytes(BLOCK_SIZE + 7, 6));
    expect([other.statusCode, other.json<{ code: string }>().code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
    const list = await inject({ method: 'GET', url: `/products/${id}/images` });
    expect(list.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([first.json<{ id: string }>().id]);
  });

  it('answers ranges with exact bytes (property test against the original), 416 outside the image', async () => {
    const id = await product();
    const bytes = pngBytes(2 * BLOCK_SIZE + 333, 2);
    const { url } = (await upload(id, bytes)).json<{ url: string }>();
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes.length + 10), fc.nat(bytes.length + 10), fc.boolean(), async (a, b, suffix) => {
        const header = suffix ? `bytes=-${a}` : `bytes=${Math.min(a, b)}-${Math.max(a, b)}`;
        const res = await inject({ method: 'GET', url, headers: { range: header } });
        const start = suffix ? Math.max(0, bytes.length - a) : Math.min(a, b);
        if ((suffix && a === 0) || (!suffix && start >= bytes.length)) {
          expect(res.statusCode).toBe(416);
          expect(res.headers['content-range']).toBe(`bytes */${bytes.length}`);
          return;
        }
        const end = suffix ? bytes.length - 1 : Math.min(Math.max(a, b), bytes.length - 1);
        expect(res.statusCode).toBe(206);
        expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
        expect(res.rawPayload.equals(bytes.subarray(start, end + 1))).toBe(true);
      }),
      { numRuns: 30 },
    );
    const bad = await inject({ method: 'GET', url, headers: { range: `bytes=${bytes.length}-` } });
    expect(bad.statusCode).toBe(416);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('refuses HTML or a script posted as an image with 415, storing nothing', async () => {
    const id = await product();
    const before = await stored();
    const html = Buffer.from('<!doctype html><script>document.cookie</script>');
    for (const type of ['image/png', 'image/jpeg', 'application/octet-stream']) {
      const res = await upload(id, html, type);
      expect(res.statusCode).toBe(415);
      expect(res.json<{ code: string }>().code).toBe('BLOB_TYPE_REFUSED');
    }
    const asHtml = await upload(id, html, 'text/html');
    expect(asHtml.statusCode).toBe(415);
    expect(await stored()).toBe(before);
  });

  it('keeps only the last segment of a file name like ../../etc/passwd (multipart), which names no file', async () => {
    const id = await product();
    const bytes = pngBytes(5000, 3);
    const boundary = 'strataboundary';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\nContent-Type: text/plain\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await upload(id, body, `multipart/form-data; boundary=${boundary}`);
    expect(res.statusCode).toBe(201);
    const image = res.json<{ url: string; file_name: string; content_type: string; sha256: string }>();
    expect(image).toMatchObject({ file_name: 'passwd', content_type: 'image/png', sha256: sha(bytes) });
    const got = await inject({ method: 'GET', url: image.url });
    expect(got.headers['content-disposition']).toBe(`inline; filename="passwd"; filename*=UTF-8''passwd`);
    expect(got.rawPayload.equals(bytes)).toBe(true);
  });

  it('cuts an upload over the limit off with 413, with or without Content-Length, leaving nothing behind', async () => {
    const id = await product();
    const before = await stored();
    const big = pngBytes(LIMIT + 100_000, 4);
    const declared = await send(`${base}/products/${id}/images`, 'POST', { 'content-type': 'image/png', 'content-length': String(big.length) }, big);
    expect(declared.status).toBe(413);
    const chunked = await send(`${base}/products/${id}/images`, 'POST', { 'content-type': 'image/png', 'transfer-encoding': 'chunked' }, big);
    expect(chunked.status).toBe(413);
    const boundary = 'b0undary';
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n`),
      pngBytes(LIMIT + 10, 5),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const form = await send(
      `${base}/products/${id}/images`,
      'POST',
      { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
      multipart,
    );
    expect(form.status).toBe(413);
    expect(await stored()).toBe(before);
  });

  it('fails a GET of an object corrupted in its backend instead of serving a wrong byte', async () => {
    const id = await product();
    const bytes = pngBytes(2 * BLOCK_SIZE + 5, 6);
    const { url, sha256 } = (await upload(id, bytes)).json<{ url: string; sha256: string }>();
    const { rows } = await sql<{ key: string }>`SELECT key FROM strata.blobs WHERE sha256 = ${sha256}`.execute(blobs.pg.database.db);
    await blobs.corrupt(name, rows[0]?.key as string, BLOCK_SIZE + 7);
    const whole = await send(`${base}${url}`, 'GET', {});
    expect(whole.aborted).toBe(true);
    expect(whole.body.equals(bytes.subarray(0, whole.body.length))).toBe(true);
    expect(whole.body.length).toBeLessThan(bytes.length);
    const range = await inject({ method: 'GET', url, headers: { range: `bytes=${BLOCK_SIZE}-${BLOCK_SIZE + 10}` } });
    expect(range.statusCode).toBe(500);
    await blobs.corrupt(name, rows[0]?.key as string, 3);
    const first = await inject({ method: 'GET', url });
    expect(first.statusCode).toBe(500);
    expect(first.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('DELETE removes an image; a deleted product hides its images, a purge releases them', async () => {
    const id = await product();
    const a = (await upload(id, pngBytes(3000, 7))).json<{ id: string; url: string }>();
    const b = (await upload(id, pngBytes(3000, 8))).json<{ id: string; url: string }>();
    expect((await inject({ method: 'DELETE', url: `/products/${id}/images/${a.id}` })).statusCode).toBe(204);
    expect((await inject({ method: 'GET', url: a.url })).statusCode).toBe(404);
    expect((await inject({ method: 'DELETE', url: `/products/${id}/images/${a.id}` })).statusCode).toBe(404);
    expect((await inject({ method: 'DELETE', url: `/products/${id}` })).statusCode).toBe(204);
    expect((await inject({ method: 'GET', url: b.url })).statusCode).toBe(404);
    expect((await upload(id, pngBytes(3000, 9))).statusCode).toBe(404);
    expect((await inject({ method: 'POST', url: `/products/${id}/restore` })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: b.url })).statusCode).toBe(200);
    expect((await inject({ method: 'DELETE', url: `/products/${id}` })).statusCode).toBe(204);
    const purged = await purgeDeleted(blobs.pg.database.db, { table: 'products', olderThanMs: 0 });
    expect(purged.error).toBeUndefined();
    const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM strata.attachments WHERE owner_id = ${id}`.execute(blobs.pg.database.db);
    expect(rows[0]?.n).toBe('0');
  });
});
