import { describe, expect, it } from 'vitest';
import { useService } from '../support/service.js';

const svc = useService();
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const CSV = { 'content-type': 'text/csv' };
const NDJSON = { 'content-type': 'application/x-ndjson' };

const importBytes = (headers: Record<string, string>, payload: Buffer) => svc.request({ method: 'POST', url: '/products/import', headers, payload });
const skus = async (prefix: string) =>
  ((await svc.request({ method: 'GET', url: `/products?q=${prefix}&sort=created` })).json().items as { sku: string; name: string }[]).map((p) => [
    p.sku,
    p.name,
  ]);

describe('POST /products/import: text encoding (#20.17)', () => {
  it('a CSV or NDJSON body that starts with a UTF-8 byte-order mark is imported (was "sku is required", "\\ufeffsku is not a known field")', async () => {
    const csv = await importBytes(CSV, Buffer.concat([BOM, Buffer.from('sku,name,price,currency\nBOM-C-1,Grüße,100,EUR\n')]));
    expect([csv.statusCode, csv.body]).toEqual([200, '{"rows":1}']);
    const nd = await importBytes(NDJSON, Buffer.concat([BOM, Buffer.from('{"sku":"BOM-N-1","name":"Ærø","price":1,"currency":"EUR"}\n')]));
    expect([nd.statusCode, nd.body]).toEqual([200, '{"rows":1}']);
    expect(await skus('BOM-')).toEqual([
      ['BOM-C-1', 'Grüße'],
      ['BOM-N-1', 'Ærø'],
    ]);
  });

  it('invalid UTF-8 is a 400 naming its line and nothing is written (was stored silently as U+FFFD)', async () => {
    const before = await svc.rowCount();
    const csv = Buffer.concat([Buffer.from('sku,name,price,currency\nUTF-1,ok,1,EUR\nUTF-2,b'), Buffer.from([0xff]), Buffer.from('d,1,EUR\n')]);
    const badCsv = await importBytes(CSV, csv);
    expect([badCsv.statusCode, badCsv.headers['content-type']]).toEqual([400, 'application/problem+json; charset=utf-8']);
    expect(badCsv.json()).toMatchObject({ code: 'MALFORMED_IMPORT', detail: expect.stringMatching(/line 3: .*not valid UTF-8/) });
    const nd = Buffer.concat([
      Buffer.from('{"sku":"UTF-3","name":"ok","price":1,"currency":"EUR"}\n{"sku":"UTF-4","name":"'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('","price":1,"currency":"EUR"}\n'),
    ]);
    const badNd = await importBytes(NDJSON, nd);
    expect([badNd.statusCode, badNd.json().code]).toEqual([400, 'MALFORMED_IMPORT']);
    expect(badNd.json().detail).toMatch(/line 2: .*not valid UTF-8/);
    expect(await svc.rowCount()).toBe(before);
  });

  it('a lone surrogate escaped in JSON is a 400 naming the field, in an import and in POST /products (was stored as U+FFFD)', async () => {
    const before = await svc.rowCount();
    const nd = Buffer.from('{"sku":"SUR-1","name":"ok","price":1,"currency":"EUR"}\n{"sku":"SUR-2","name":"a\\ud800b","price":1,"currency":"EUR"}\n');
    const res = await importBytes(NDJSON, nd);
    expect([res.statusCode, res.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.json().errors).toEqual([{ field: 'name', in: 'body', message: 'line 2: must be valid Unicode text (it holds a lone surrogate)' }]);
    const post = await svc.request({
      method: 'POST',
      url: '/products',
      headers: { 'content-type': 'application/json' },
      payload: '{"sku":"SUR-3","name":"x","description":"\\udc00","price":1,"currency":"EUR"}',
    });
    expect([post.statusCode, post.json().errors]).toEqual([
      400,
      [{ field: 'description', in: 'body', message: 'must be valid Unicode text (it holds a lone surrogate)' }],
    ]);
    expect(await svc.rowCount()).toBe(before);
  });
});
