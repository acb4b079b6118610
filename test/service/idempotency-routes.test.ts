import { describe, expect, it } from 'vitest';
import { newProduct, useService } from '../support/service.js';

const svc = useService();

async function create(overrides: Record<string, unknown> = {}) {
  const res = await svc.request({ method: 'POST', url: '/products', payload: newProduct(overrides) });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; sku: string; version: number };
}

const get = async (id: string) => svc.request({ method: 'GET', url: `/products/${id}` });

describe('Idempotency-Key on POST /products/:id/restore and /revert', () => {
  it('#20.4: restore with an Idempotency-Key restores the product (was 404 PRODUCT_NOT_FOUND and the product stayed deleted)', async () => {
    const p = await create();
    expect((await svc.request({ method: 'DELETE', url: `/products/${p.id}` })).statusCode).toBe(204);
    const restored = await svc.request({ method: 'POST', url: `/products/${p.id}/restore`, headers: { 'idempotency-key': `rs-${p.id}` } });
    expect(restored.statusCode, restored.body).toBe(200);
    expect(restored.json()).toMatchObject({ id: p.id, sku: p.sku });
    expect(restored.headers.etag).toBe(`"${restored.json().version}"`);
    expect((await get(p.id)).statusCode).toBe(200);
    const replay = await svc.request({ method: 'POST', url: `/products/${p.id}/restore`, headers: { 'idempotency-key': `rs-${p.id}` } });
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.body, replay.headers.etag]).toEqual([
      200,
      'true',
      restored.body,
      restored.headers.etag,
    ]);
  });

  it('#20.5: revert with an Idempotency-Key answers the reverted version (was the stale version-2 body and ETag "2", and so was its replay)', async () => {
    const p = await create({ name: 'First' });
    await svc.request({ method: 'PATCH', url: `/products/${p.id}`, headers: { 'if-match': '"1"' }, payload: { name: 'Second' } });
    const key = { 'idempotency-key': `rv-${p.id}` };
    const reverted = await svc.request({ method: 'POST', url: `/products/${p.id}/revert`, headers: key, payload: { version: 1 } });
    expect(reverted.statusCode, reverted.body).toBe(200);
    expect(reverted.json()).toMatchObject({ name: 'First', version: 3 });
    expect(reverted.headers.etag).toBe('"3"');
    expect((await get(p.id)).json()).toEqual(reverted.json());
    const replay = await svc.request({ method: 'POST', url: `/products/${p.id}/revert`, headers: key, payload: { version: 1 } });
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.headers.etag]).toEqual([200, 'true', '"3"']);
    expect(replay.json()).toEqual(reverted.json());
    expect((await get(p.id)).json().version).toBe(3);
  });
});

describe('Idempotency-Key on POST /products/import', () => {
  const csv = (tag: string, price = 100) => `sku,name,price,currency\nIK-1-${tag},Hammer,${price},EUR\nIK-2-${tag},Saw,200,EUR\n`;
  const importCsv = (key: string | undefined, payload: string) =>
    svc.request({
      method: 'POST',
      url: '/products/import',
      headers: { 'content-type': 'text/csv', ...(key ? { 'idempotency-key': key } : {}) },
      payload,
    });
  const bySku = async (sku: string) => (await svc.request({ method: 'GET', url: `/products?q=${sku}` })).json().items[0];

  it('#20.6: a repeated import with the same key is replayed, not imported again (was imported twice, no Idempotent-Replayed)', async () => {
    const tag = `r${Date.now().toString(36)}`;
    const first = await importCsv(`imp-${tag}`, csv(tag));
    expect([first.statusCode, first.json(), first.headers['idempotent-replayed']]).toEqual([200, { rows: 2 }, undefined]);
    const hammer = await bySku(`IK-1-${tag}`);
    await svc.request({ method: 'PATCH', url: `/products/${hammer.id}`, headers: { 'if-match': '*' }, payload: { name: 'Edited since' } });
    const again = await importCsv(`imp-${tag}`, csv(tag));
    expect([again.statusCode, again.json(), again.headers['idempotent-replayed']]).toEqual([200, { rows: 2 }, 'true']);
    expect(await bySku(`IK-1-${tag}`)).toMatchObject({ name: 'Edited since', version: 2 });
  });

  it('#20.6: an import key reused with another body, or a POST /products key reused on import, is a 422 that writes nothing (was 200)', async () => {
    const tag = `m${Date.now().toString(36)}`;
    expect((await importCsv(`imp-${tag}`, csv(tag))).statusCode).toBe(200);
    const before = await svc.rowCount();
    const other = await importCsv(`imp-${tag}`, csv(`${tag}x`, 999));
    expect([other.statusCode, other.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
    const created = await svc.request({ method: 'POST', url: '/products', headers: { 'idempotency-key': `create-${tag}` }, payload: newProduct() });
    expect(created.statusCode).toBe(201);
    const crossed = await importCsv(`create-${tag}`, csv(`${tag}y`));
    expect([crossed.statusCode, crossed.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
    const back = await svc.request({ method: 'POST', url: '/products', headers: { 'idempotency-key': `imp-${tag}` }, payload: newProduct() });
    expect([back.statusCode, back.json().code]).toEqual([422, 'IDEMPOTENCY_KEY_MISMATCH']);
    expect(await svc.rowCount()).toBe(before + 1);
  });

  it('an NDJSON import is replayed under its key; a failed import releases the key for a corrected retry', async () => {
    const tag = `n${Date.now().toString(36)}`;
    const bad = `{"sku":"IN-1-${tag}","name":"ok","price":1,"currency":"EUR"}\n{"sku":"IN-2-${tag}","name":"bad","price":-1,"currency":"EUR"}\n`;
    const nd = (key: string, payload: string) =>
      svc.request({ method: 'POST', url: '/products/import', headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': key }, payload });
    expect((await nd(`nd-${tag}`, bad)).statusCode).toBe(400);
    const good = bad.replace('"price":-1', '"price":2');
    const first = await nd(`nd-${tag}`, good);
    expect([first.statusCode, first.json()]).toEqual([200, { rows: 2 }]);
    const again = await nd(`nd-${tag}`, good);
    expect([again.statusCode, again.headers['idempotent-replayed'], again.json()]).toEqual([200, 'true', { rows: 2 }]);
  });
});
