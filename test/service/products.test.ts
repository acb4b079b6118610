import { describe, expect, it } from 'vitest';
import { newProduct, useService } from '../support/service.js';

const svc = useService();
const PRODUCT_KEYS = ['created_at', 'currency', 'description', 'id', 'name', 'price', 'sku', 'stock', 'tags', 'updated_at', 'version'];

async function create(overrides: Record<string, unknown> = {}) {
  const res = await svc.request({ method: 'POST', url: '/products', payload: newProduct(overrides) });
  expect(res.statusCode).toBe(201);
  return res.json() as Record<string, unknown> & { id: string; version: number };
}

describe('catalog CRUD', () => {
  it('POST creates with a UUIDv7 id, Location and ETag; GET returns exactly the public fields', async () => {
    const body = newProduct({ price: 9007199254740991, description: 'big', tags: ['a', 'b'] });
    const res = await svc.request({ method: 'POST', url: '/products', payload: body });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.headers.location).toBe(`/products/${created.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(Object.keys(created).sort()).toEqual(PRODUCT_KEYS);
    expect(created).toMatchObject({ sku: body.sku, price: 9007199254740991, currency: 'EUR', stock: 5, tags: ['a', 'b'], version: 1 });
    expect(res.body).toContain('"price":9007199254740991');
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const got = await svc.request({ method: 'GET', url: `/products/${created.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);
    expect(got.headers.etag).toBe('"1"');
  });

  it('PATCH needs If-Match: 428 without, 412 on a stale version, 200 and a new ETag on the current one', async () => {
    const p = await create();
    const missing = await svc.request({ method: 'PATCH', url: `/products/${p.id}`, payload: { stock: 1 } });
    expect([missing.statusCode, missing.json().code]).toEqual([428, 'PRECONDITION_REQUIRED']);
    const ok = await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '"1"' }, payload: { stock: 1, name: 'Renamed' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ stock: 1, name: 'Renamed', version: 2 });
    expect(ok.headers.etag).toBe('"2"');
    expect(new Date(ok.json().updated_at).getTime()).toBeGreaterThan(new Date(p.updated_at as string).getTime());
    const stale = await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '"1"' }, payload: { stock: 2 } });
    expect([stale.statusCode, stale.json().code, stale.headers.etag]).toEqual([412, 'VERSION_MISMATCH', '"2"']);
    const any = await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '*' }, payload: { stock: 3 } });
    expect(any.json()).toMatchObject({ stock: 3, version: 3 });
  });

  it('DELETE answers 204, then the product is 404', async () => {
    const p = await create();
    expect((await svc.request({ method: 'DELETE', url: `/products/${p.id}` })).statusCode).toBe(204);
    const gone = await svc.request({ method: 'GET', url: `/products/${p.id}` });
    expect([gone.statusCode, gone.json().code]).toEqual([404, 'PRODUCT_NOT_FOUND']);
    expect((await svc.request({ method: 'DELETE', url: `/products/${p.id}` })).statusCode).toBe(404);
  });

  it('a duplicate SKU is a 409 naming the column', async () => {
    const p = await create();
    const dup = await svc.request({ method: 'POST', url: '/products', payload: newProduct({ sku: p.sku }) });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'UNIQUE_VIOLATION' });
    expect(dup.json().detail).toContain('[sku]');
  });
});

describe('catalog listing', () => {
  it('pages through every matching product exactly once, in a stable order, for every sort', async () => {
    const tag = `page-${Date.now().toString(36)}`;
    const prices = [500, 100, 300, 100, 200, 500, 400, 100, 250, 300, 100];
    const ids = [];
    for (const [i, price] of prices.entries()) ids.push((await create({ price, tags: [tag], name: `n${i % 3}` })).id);
    for (const sort of ['created', '-created', 'price', '-price', 'name', '-name']) {
      const seen: { id: string; price: number; name: string }[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/products?tag=${tag}&limit=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await svc.request({ method: 'GET', url });
        expect(res.statusCode).toBe(200);
        const page = res.json();
        expect(Object.keys(page).sort()).toEqual(['items', 'next_cursor']);
        seen.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen.map((p) => p.id).sort()).toEqual([...ids].sort());
      const key = sort.replace('-', '') as 'created' | 'price' | 'name';
      const value = (p: { id: string; price: number; name: string }) => (key === 'created' ? p.id : key === 'price' ? p.price : p.name);
      const sorted = [...seen].sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : a.id < b.id ? -1 : 1));
      expect(seen).toEqual(sort.startsWith('-') ? sorted.reverse() : sorted);
    }
  });

  it('filters by text, tag and price range', async () => {
    const tag = `filter-${Date.now().toString(36)}`;
    await create({ name: 'Red Hammer', price: 1500, tags: [tag] });
    await create({ name: 'Blue Hammer', price: 2500, tags: [tag] });
    await create({ name: '100% Wrench', price: 3500, tags: [tag] });
    const names = async (query: string) =>
      ((await svc.request({ method: 'GET', url: `/products?tag=${tag}&sort=price&${query}` })).json().items as { name: string }[]).map((p) => p.name);
    expect(await names('q=hammer')).toEqual(['Red Hammer', 'Blue Hammer']);
    expect(await names('q=100%25')).toEqual(['100% Wrench']);
    expect(await names('q=_')).toEqual([]);
    expect(await names('min_price=2000')).toEqual(['Blue Hammer', '100% Wrench']);
    expect(await names('min_price=2000&max_price=3000')).toEqual(['Blue Hammer']);
  });

  it('rejects a tampered cursor or one from another sort with 400', async () => {
    await create();
    const first = (await svc.request({ method: 'GET', url: '/products?limit=1&sort=price' })).json();
    const other = await svc.request({ method: 'GET', url: `/products?limit=1&sort=name&cursor=${first.next_cursor}` });
    expect([other.statusCode, other.json().code]).toEqual([400, 'INVALID_CURSOR']);
    const junk = await svc.request({ method: 'GET', url: '/products?cursor=bm9wZQ' });
    expect([junk.statusCode, junk.json().code]).toEqual([400, 'INVALID_CURSOR']);
  });
  it("a forged cursor whose value PostgreSQL cannot take is a 400 INVALID_CURSOR (was 422 INVALID_DATA with PostgreSQL's text)", async () => {
    await create();
    const id = '01900000-0000-7000-8000-000000000000';
    const forge = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
    for (const [sort, value] of [
      ['name', '\u0000'],
      ['-name', 'a\u0000b'],
      ['price', '9999999999999999999'],
      ['created', 'x'],
    ] as const) {
      const res = await svc.request({ method: 'GET', url: `/products?sort=${sort}&cursor=${forge([sort, value, id])}` });
      expect([res.statusCode, res.json().code], `${sort} ${JSON.stringify(value)}`).toEqual([400, 'INVALID_CURSOR']);
    }
    for (const value of ['-271821-04-20T00:00:00.000Z', '1', '2026-02-31T00:00:00.000Z']) {
      const res = await svc.request({ method: 'GET', url: `/admin/products/deleted?cursor=${forge(['-deleted', value, id])}` });
      expect([res.statusCode, res.json().code], value).toEqual([400, 'INVALID_CURSOR']);
    }
  });
});

describe('catalog soft deletes', () => {
  it('DELETE is soft: 204, then 404; restore brings it back; the admin listing shows deleted products', async () => {
    const p = await create();
    expect((await svc.request({ method: 'DELETE', url: `/products/${p.id}` })).statusCode).toBe(204);
    expect((await svc.request({ method: 'GET', url: `/products/${p.id}` })).statusCode).toBe(404);
    const listed = (await svc.request({ method: 'GET', url: '/admin/products/deleted?limit=100' })).json();
    const entry = listed.items.find((i: { id: string }) => i.id === p.id);
    expect(entry).toMatchObject({ id: p.id, sku: p.sku, deleted_by: svc.adminId });
    expect(entry.deleted_at).toMatch(/Z$/);
    const restored = await svc.request({ method: 'POST', url: `/products/${p.id}/restore` });
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ id: p.id, sku: p.sku });
    expect((await svc.request({ method: 'GET', url: `/products/${p.id}` })).statusCode).toBe(200);
  });

  it('a SKU can be reused after a delete; restoring the old product then is a 409 and changes nothing', async () => {
    const old = await create();
    await svc.request({ method: 'DELETE', url: `/products/${old.id}` });
    const fresh = await create({ sku: old.sku });
    const conflict = await svc.request({ method: 'POST', url: `/products/${old.id}/restore` });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ code: 'RESTORE_CONFLICT' });
    expect((await svc.request({ method: 'GET', url: `/products/${old.id}` })).statusCode).toBe(404);
    expect((await svc.request({ method: 'GET', url: `/products/${fresh.id}` })).json()).toMatchObject({ sku: old.sku });
  });

  it('restore of an unknown id is a 404; the deleted listing pages with a cursor', async () => {
    const missing = await svc.request({ method: 'POST', url: '/products/01900000-0000-7000-8000-000000000000/restore' });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'PRODUCT_NOT_FOUND']);
    for (let i = 0; i < 3; i++) await svc.request({ method: 'DELETE', url: `/products/${(await create()).id}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await svc.request({ method: 'GET', url: `/admin/products/deleted?limit=2${cursor ? `&cursor=${cursor}` : ''}` });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((i: { id: string }) => i.id));
      cursor = res.json().next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });
});

describe('catalog history', () => {
  it('lists versions with request ids, reads as of an instant, diffs public fields and reverts as a new version', async () => {
    const p = await create({ name: 'First', price: 1000 });
    const afterCreate = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const second = await svc.request({
      method: 'PATCH',
      url: `/products/${p.id}`,
      headers: { 'if-match': '"1"', 'x-request-id': 'req-second' },
      payload: { name: 'Second', price: 2000 },
    });
    expect(second.json().version).toBe(2);
    const same = await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '"2"' }, payload: { name: 'Second' } });
    expect([same.statusCode, same.json().version, same.headers.etag]).toEqual([200, 2, '"2"']);
    await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '"2"' }, payload: { stock: 0 } });

    const history = (await svc.request({ method: 'GET', url: `/products/${p.id}/history` })).json();
    expect(history.items.map((v: { version: number; operation: string }) => [v.version, v.operation])).toEqual([
      [1, 'insert'],
      [2, 'update'],
      [3, 'update'],
    ]);
    expect(history.items[1]).toMatchObject({ request_id: 'req-second', actor: svc.adminId, product: { name: 'Second', price: 2000 } });
    expect(history.items[0].valid_to).toBe(history.items[1].valid_from);

    const then = await svc.request({ method: 'GET', url: `/products/${p.id}?as_of=${afterCreate.toISOString()}` });
    expect([then.statusCode, then.json().name, then.json().version, then.headers.etag]).toEqual([200, 'First', 1, '"1"']);
    const before = await svc.request({ method: 'GET', url: `/products/${p.id}?as_of=2001-01-01T00:00:00Z` });
    expect(before.statusCode).toBe(404);

    const diff = (await svc.request({ method: 'GET', url: `/products/${p.id}/diff?from=1&to=3` })).json();
    expect(diff).toEqual({
      from: 1,
      to: 3,
      changes: [
        { field: 'name', from: 'First', to: 'Second' },
        { field: 'price', from: 1000, to: 2000 },
        { field: 'stock', from: 5, to: 0 },
      ],
    });

    const reverted = await svc.request({ method: 'POST', url: `/products/${p.id}/revert`, payload: { version: 1 } });
    expect(reverted.statusCode).toBe(200);
    expect(reverted.json()).toMatchObject({ name: 'First', price: 1000, stock: 5, version: 4 });
    expect(reverted.headers.etag).toBe('"4"');
  });

  it('history of a deleted product stays readable; bad versions are 404 and bad queries 400', async () => {
    const p = await create();
    await svc.request({ method: 'DELETE', url: `/products/${p.id}` });
    const history = (await svc.request({ method: 'GET', url: `/products/${p.id}/history` })).json();
    expect(history.items.map((v: { operation: string }) => v.operation)).toEqual(['insert', 'delete']);
    expect((await svc.request({ method: 'GET', url: `/products/${p.id}/diff?from=1&to=9` })).statusCode).toBe(404);
    expect((await svc.request({ method: 'GET', url: `/products/${p.id}?as_of=yesterday` })).statusCode).toBe(400);
    const revertDeleted = await svc.request({ method: 'POST', url: `/products/${p.id}/revert`, payload: { version: 1 } });
    expect([revertDeleted.statusCode, revertDeleted.json().code]).toEqual([404, 'PRODUCT_NOT_FOUND']);
  });
});

describe('revert and If-Match', () => {
  it('#20.7: revert honours If-Match: a stale version is a 412 with the current ETag and writes nothing (was 200: revert ignored If-Match)', async () => {
    const p = await create({ name: 'One' });
    for (const name of ['Two', 'Three']) {
      const version = (await svc.request({ method: 'GET', url: `/products/${p.id}` })).json().version;
      await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': `"${version}"` }, payload: { name } });
    }
    const revert = (headers: Record<string, string>) => svc.request({ method: 'POST', url: `/products/${p.id}/revert`, headers, payload: { version: 1 } });
    const stale = await revert({ 'if-match': '"1"' });
    expect([stale.statusCode, stale.json().code, stale.headers.etag]).toEqual([412, 'VERSION_MISMATCH', '"3"']);
    expect((await svc.request({ method: 'GET', url: `/products/${p.id}` })).json()).toMatchObject({ name: 'Three', version: 3 });
    const weak = await revert({ 'if-match': 'W/"3"' });
    expect(weak.statusCode).toBe(412);
    const malformed = await revert({ 'if-match': 'three' });
    expect([malformed.statusCode, malformed.json().errors?.[0]?.field]).toEqual([400, 'if-match']);
    const current = await revert({ 'if-match': '"3"' });
    expect([current.statusCode, current.json().name, current.headers.etag]).toEqual([200, 'One', '"4"']);
    const any = await revert({ 'if-match': '*' });
    expect([any.statusCode, any.json().version]).toEqual([200, 4]);
  });
});

describe('body-less routes and Content-Type: application/json', () => {
  it('#20.11: DELETE and POST restore with Content-Type: application/json and no body succeed (was 400 MALFORMED_JSON "Body cannot be empty")', async () => {
    const p = await create();
    const json = { 'content-type': 'application/json' };
    const deleted = await svc.request({ method: 'DELETE', url: `/products/${p.id}`, headers: json });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const restored = await svc.request({ method: 'POST', url: `/products/${p.id}/restore`, headers: json });
    expect([restored.statusCode, restored.json().id], restored.body).toEqual([200, p.id]);
    const keyed = await svc.request({ method: 'DELETE', url: `/products/${p.id}`, headers: { ...json, 'content-length': '0' } });
    expect(keyed.statusCode).toBe(204);
    const again = await svc.request({ method: 'POST', url: `/products/${p.id}/restore`, headers: { ...json, 'idempotency-key': `ct-${p.id}` } });
    expect(again.statusCode, again.body).toBe(200);
    for (const url of ['/products', `/products/${p.id}/revert`]) {
      const empty = await svc.request({ method: 'POST', url, headers: json });
      expect([empty.statusCode, empty.json().code], url).toEqual([400, 'MALFORMED_JSON']);
    }
    const patch = await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { ...json, 'if-match': '*' } });
    expect([patch.statusCode, patch.json().code]).toEqual([400, 'MALFORMED_JSON']);
  });

  it("#20.11: an empty body of any type (curl -d '' sends a form type) is accepted where no body is taken; a route with a body still answers 415", async () => {
    const p = await create();
    const form = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' };
    expect((await svc.request({ method: 'DELETE', url: `/products/${p.id}`, headers: form })).statusCode).toBe(204);
    const restored = await svc.request({ method: 'POST', url: `/products/${p.id}/restore`, headers: { ...form, 'content-type': 'text/plain' } });
    expect(restored.statusCode, restored.body).toBe(200);
    const withBody = await svc.request({ method: 'DELETE', url: `/products/${p.id}`, headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expect([withBody.statusCode, withBody.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const create415 = await svc.request({ method: 'POST', url: '/products', headers: form });
    expect([create415.statusCode, create415.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const unknown = await svc.request({ method: 'POST', url: '/nowhere', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('PUT /products/by-sku/:sku (upsert)', () => {
  it('creates (201), repeats without a write (200, same version), updates (200, new version)', async () => {
    const sku = `UPSERT-${Date.now().toString(36)}`;
    const body = { name: 'Saw', price: 1500, currency: 'EUR', stock: 3, tags: ['tools'] };
    const created = await svc.request({ method: 'PUT', url: `/products/by-sku/${sku}`, payload: body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ sku, name: 'Saw', price: 1500, version: 1 });
    expect(created.headers.location).toBe(`/products/${created.json().id}`);
    const same = await svc.request({ method: 'PUT', url: `/products/by-sku/${sku}`, payload: body });
    expect([same.statusCode, same.json().version, same.json().id, same.json().updated_at]).toEqual([200, 1, created.json().id, created.json().updated_at]);
    const history = (await svc.request({ method: 'GET', url: `/products/${created.json().id}/history` })).json();
    expect(history.items).toHaveLength(1);
    const changed = await svc.request({ method: 'PUT', url: `/products/by-sku/${sku}`, payload: { ...body, price: 1700 } });
    expect([changed.statusCode, changed.json().price, changed.json().version, changed.headers.etag]).toEqual([200, 1700, 2, '"2"']);
    const bad = await svc.request({ method: 'PUT', url: `/products/by-sku/${sku}`, payload: { ...body, sku: 'other' } });
    expect(bad.statusCode).toBe(400);
    const badSku = await svc.request({ method: 'PUT', url: '/products/by-sku/bad%20sku', payload: body });
    expect(badSku.statusCode).toBe(400);
  });
});

describe('POST /products/import', () => {
  it('imports CSV and NDJSON by SKU in one transaction; a bad line is a 400 naming it and nothing is written', async () => {
    const tag = `imp${Date.now().toString(36)}`;
    const csv = `sku,name,price,currency,stock,tags\nIMP-1-${tag},"Drill, cordless",12900,EUR,4,${tag};power\nIMP-2-${tag},Bit,300,EUR,,${tag}\n`;
    const res = await svc.request({ method: 'POST', url: '/products/import', headers: { 'content-type': 'text/csv' }, payload: csv });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ rows: 2 });
    const listed = (await svc.request({ method: 'GET', url: `/products?tag=${tag}&sort=price` })).json();
    expect(listed.items.map((p: { name: string; stock: number }) => [p.name, p.stock])).toEqual([
      ['Bit', 0],
      ['Drill, cordless', 4],
    ]);
    const nd = `{"sku":"IMP-1-${tag}","name":"Drill v2","price":13900,"currency":"EUR","tags":["${tag}"]}\n{"sku":"IMP-3-${tag}","name":"Saw","price":5000,"currency":"EUR","tags":["${tag}"]}\n`;
    const again = await svc.request({ method: 'POST', url: '/products/import', headers: { 'content-type': 'application/x-ndjson' }, payload: nd });
    expect(again.json()).toEqual({ rows: 2 });
    const drill = (await svc.request({ method: 'GET', url: `/products?q=IMP-1-${tag}` })).json().items[0];
    expect(drill).toMatchObject({ name: 'Drill v2', price: 13900, version: 2 });

    const before = await svc.rowCount();
    const bad = `{"sku":"IMP-4-${tag}","name":"ok","price":1,"currency":"EUR"}\n{"sku":"IMP-5-${tag}","name":"bad","price":-1,"currency":"EUR"}\n`;
    const rejected = await svc.request({ method: 'POST', url: '/products/import', headers: { 'content-type': 'application/x-ndjson' }, payload: bad });
    expect(rejected.statusCode).toBe(400);
    expect(rejected.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'price', message: expect.stringMatching(/^line 2: /) }] });
    expect(await svc.rowCount()).toBe(before);
    const wrongType = await svc.request({ method: 'POST', url: '/products/import', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expect(wrongType.statusCode).toBe(415);
    const junk = await svc.request({ method: 'POST', url: '/products/import', headers: { 'content-type': 'application/x-ndjson' }, payload: 'not json\n' });
    expect([junk.statusCode, junk.json().code]).toEqual([400, 'MALFORMED_IMPORT']);
    const huge = await svc.request({
      method: 'POST',
      url: '/products/import',
      headers: { 'content-type': 'text/csv', 'content-length': String(100 * 1024 * 1024 + 1) },
      payload: 'sku,name\n',
    });
    expect([huge.statusCode, huge.json().code, huge.headers.connection]).toEqual([413, 'PAYLOAD_TOO_LARGE', 'close']);
  });
});
