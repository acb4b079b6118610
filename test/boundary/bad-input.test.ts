import { beforeAll, describe, expect, it } from 'vitest';
import { newProduct, useService } from '../support/service.js';

const svc = useService();
const json = { 'content-type': 'application/json' };

interface Case {
  readonly name: string;
  readonly payload: string;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
  /** The field the problem must name (in `errors`), when the failure is about a field. */
  readonly field?: string;
}

const body = (overrides: Record<string, unknown>, drop: string[] = []) => {
  const b = newProduct(overrides);
  for (const key of drop) delete b[key];
  return JSON.stringify(b);
};

const cases: Case[] = [
  { name: 'unknown field', payload: body({ colour: 'red' }), status: 400, code: 'VALIDATION_FAILED', field: 'colour' },
  { name: 'mass-assigned id', payload: body({ id: '01900000-0000-7000-8000-000000000000' }), status: 400, code: 'VALIDATION_FAILED', field: 'id' },
  { name: 'mass-assigned version', payload: body({ version: 99 }), status: 400, code: 'VALIDATION_FAILED', field: 'version' },
  { name: 'internal column cost', payload: body({ cost: 1 }), status: 400, code: 'VALIDATION_FAILED', field: 'cost' },
  { name: 'missing name', payload: body({}, ['name']), status: 400, code: 'VALIDATION_FAILED', field: 'name' },
  { name: 'name of wrong type', payload: body({ name: 42 }), status: 400, code: 'VALIDATION_FAILED', field: 'name' },
  { name: 'over-long name', payload: body({ name: 'x'.repeat(201) }), status: 400, code: 'VALIDATION_FAILED', field: 'name' },
  { name: 'over-long sku', payload: body({ sku: 'S'.repeat(65) }), status: 400, code: 'VALIDATION_FAILED', field: 'sku' },
  { name: 'control characters', payload: body({ name: 'a\u0000b' }), status: 400, code: 'VALIDATION_FAILED', field: 'name' },
  { name: 'negative price', payload: body({ price: -1 }), status: 400, code: 'VALIDATION_FAILED', field: 'price' },
  { name: 'fractional price', payload: body({ price: 19.99 }), status: 400, code: 'VALIDATION_FAILED', field: 'price' },
  { name: 'price as a string', payload: body({ price: '1999' }), status: 400, code: 'VALIDATION_FAILED', field: 'price' },
  { name: 'price beyond 2^53', payload: body({}).replace(/"price":\d+/, '"price":9007199254740993'), status: 400, code: 'VALIDATION_FAILED', field: 'price' },
  {
    name: 'price beyond bigint',
    payload: body({}).replace(/"price":\d+/, '"price":99999999999999999999999'),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'price',
  },
  {
    name: 'price in exponent form beyond range',
    payload: body({}).replace(/"price":\d+/, '"price":1e300'),
    status: 400,
    code: 'VALIDATION_FAILED',
    field: 'price',
  },
  { name: 'lower-case currency', payload: body({ currency: 'eur' }), status: 400, code: 'VALIDATION_FAILED', field: 'currency' },
  { name: 'unknown currency', payload: body({ currency: 'XYZ' }), status: 400, code: 'VALIDATION_FAILED', field: 'currency' },
  { name: 'negative stock', payload: body({ stock: -3 }), status: 400, code: 'VALIDATION_FAILED', field: 'stock' },
  { name: 'stock beyond int', payload: body({ stock: 2 ** 31 }), status: 400, code: 'VALIDATION_FAILED', field: 'stock' },
  { name: 'bad tag', payload: body({ tags: ['ok', 'Not OK'] }), status: 400, code: 'VALIDATION_FAILED', field: 'tags.1' },
  { name: 'too many tags', payload: body({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }), status: 400, code: 'VALIDATION_FAILED', field: 'tags' },
  { name: 'body is an array', payload: '[]', status: 400, code: 'VALIDATION_FAILED', field: '(body)' },
  { name: 'body is null', payload: 'null', status: 400, code: 'VALIDATION_FAILED', field: '(body)' },
  { name: 'malformed JSON', payload: '{"sku": "A",', status: 400, code: 'MALFORMED_JSON' },
  { name: 'empty body', payload: '', status: 400, code: 'MALFORMED_JSON' },
  { name: '__proto__ key', payload: '{"__proto__": {"admin": true}, "sku": "A"}', status: 400, code: 'MALFORMED_JSON' },
  { name: 'constructor.prototype key', payload: '{"constructor": {"prototype": {"admin": true}}}', status: 400, code: 'MALFORMED_JSON' },
  {
    name: 'wrong content type',
    payload: 'sku=A',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  { name: 'text/plain', payload: body({}), headers: { 'content-type': 'text/plain' }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'oversized body', payload: body({ description: 'x'.repeat(70_000) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
];

describe('bad input gets a 4xx problem naming the field and writes nothing', () => {
  let target: { id: string };
  beforeAll(async () => {
    target = (await svc.request({ method: 'POST', url: '/products', payload: newProduct() })).json();
  });

  it.each(cases)('POST /products: $name', async (c) => {
    const before = await svc.rowCount();
    const res = await svc.request({ method: 'POST', url: '/products', headers: c.headers ?? json, payload: c.payload });
    expect(res.statusCode).toBe(c.status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem).toMatchObject({ status: c.status, code: c.code });
    if (c.field) expect(problem.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    expect(await svc.rowCount()).toBe(before);
  });

  it.each(cases.filter((c) => c.status === 400 && c.field && !['(body)', 'name'].includes(c.field) && !c.name.startsWith('mass')))(
    'PATCH /products/:id: $name',
    async (c) => {
      const patch = JSON.parse(c.payload) as Record<string, unknown>;
      const only = c.field ? c.field.split('.')[0] : undefined;
      const payload = only && only in patch ? JSON.stringify({ [only]: patch[only] }) : c.payload;
      const res = await svc.request({ method: 'PATCH', url: `/products/${target.id}`, headers: { ...json, 'if-match': '*' }, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(c.field);
      const row = await svc.db.selectFrom('products').select('version').where('id', '=', target.id).executeTakeFirstOrThrow();
      expect(row.version).toBe(1);
    },
  );

  it('PATCH with an empty body or a malformed If-Match is a 400 naming the problem', async () => {
    const empty = await svc.request({ method: 'PATCH', url: `/products/${target.id}`, headers: { 'if-match': '*' }, payload: {} });
    expect([empty.statusCode, empty.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const badTag = await svc.request({ method: 'PATCH', url: `/products/${target.id}`, headers: { 'if-match': 'v1' }, payload: { stock: 1 } });
    expect(badTag.statusCode).toBe(400);
    expect(badTag.json().errors[0]).toMatchObject({ field: 'if-match', in: 'header' });
  });

  it('#20.9: a value of the wrong type is described as such, never as "is required" (was "is required" for price 1.5, price "100", description null, revert version "1"; 1e300 was "not a fraction")', async () => {
    const messages = async (method: 'POST' | 'PATCH', url: string, payload: string, headers: Record<string, string> = {}) => {
      const res = await svc.request({ method, url, headers: { ...json, ...headers }, payload });
      expect(res.statusCode, res.body).toBe(400);
      return Object.fromEntries(res.json().errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    };
    expect(await messages('POST', '/products', body({ price: 1.5 }))).toEqual({ price: 'must be a whole number of minor units, not a fraction; received 1.5' });
    expect(await messages('POST', '/products', body({ price: '100' }))).toEqual({
      price: 'must be an integer amount in minor units (e.g. cents); received a string',
    });
    expect(await messages('POST', '/products', body({ description: null }))).toEqual({ description: 'must be a string; received null' });
    expect(await messages('POST', '/products', body({ name: 42, tags: 'tools', stock: true }))).toEqual({
      name: 'must be a string; received 42',
      tags: 'must be an array; received a string',
      stock: 'must be an integer; received true',
    });
    expect(await messages('POST', '/products', body({}).replace(/"price":\d+/, '"price":1e300'))).toEqual({ price: 'must be at most 9007199254740991' });
    expect(await messages('POST', '/products', body({}, ['price']))).toEqual({ price: 'is required' });
    expect(await messages('PATCH', `/products/${target.id}`, JSON.stringify({ sku: ['A'] }), { 'if-match': '*' })).toEqual({
      sku: 'must be a string; received an array',
    });
    expect(await messages('POST', `/products/${target.id}/revert`, '{"version":"1"}')).toEqual({ version: 'must be a version number; received a string' });
    expect(await messages('POST', `/products/${target.id}/revert`, '{"version":{}}')).toEqual({ version: 'must be a version number; received an object' });
    const line = await svc.request({
      method: 'POST',
      url: '/products/import',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"sku":"TYPE-1","name":"x","price":"100","currency":"EUR"}\n',
    });
    expect(line.json().errors).toEqual([
      { field: 'price', in: 'body', message: 'line 1: must be an integer amount in minor units (e.g. cents); received a string' },
    ]);
  });

  it('#20.17: a JSON body that is not UTF-8 is a 400 MALFORMED_JSON that writes nothing (was stored with U+FFFD in place of the bytes)', async () => {
    const before = await svc.rowCount();
    const sku = `UTF8-${Date.now().toString(36)}`;
    const bytes = (text: string, bad: number[]) => {
      const [head, tail] = text.split('@') as [string, string];
      return Buffer.concat([Buffer.from(head), Buffer.from(bad), Buffer.from(tail)]);
    };
    const product = (name: string) => `{"sku":"${sku}","name":"${name}","price":1,"currency":"EUR"}`;
    for (const [what, payload] of [
      ['a stray 0xff', bytes(product('bad @ byte'), [0xff])],
      ['an encoded surrogate', bytes(product('bad @ surrogate'), [0xed, 0xa0, 0x80])],
      ['a cut-off character', bytes(product('cut @'), [0xc3])],
    ] as const) {
      const res = await svc.request({ method: 'POST', url: '/products', headers: json, payload });
      expect([res.statusCode, res.json().code, res.json().detail], what).toEqual([400, 'MALFORMED_JSON', expect.stringMatching(/not valid UTF-8/)]);
    }
    const put = await svc.request({
      method: 'PUT',
      url: `/products/by-sku/${sku}`,
      headers: json,
      payload: bytes('{"name":"@","price":1,"currency":"EUR"}', [0xff]),
    });
    expect([put.statusCode, put.json().code]).toEqual([400, 'MALFORMED_JSON']);
    const patch = await svc.request({
      method: 'PATCH',
      url: `/products/${target.id}`,
      headers: { ...json, 'if-match': '*' },
      payload: bytes('{"name":"@"}', [0xff]),
    });
    expect([patch.statusCode, patch.json().code]).toEqual([400, 'MALFORMED_JSON']);
    expect(await svc.rowCount()).toBe(before);
    expect((await svc.request({ method: 'GET', url: `/products/${target.id}` })).json().name).not.toContain('\ufffd');
    const fine = await svc.request({ method: 'POST', url: '/products', headers: json, payload: Buffer.from(product('Grüße, Ærø 🫖')) });
    expect([fine.statusCode, fine.json().name]).toEqual([201, 'Grüße, Ærø 🫖']);
  });

  it('bad query strings and path ids are 400s naming the parameter', async () => {
    for (const [url, field] of [
      ['/products?limit=1000', 'limit'],
      ['/products?min_price=-5', 'min_price'],
      ['/products?min_price=1.5', 'min_price'],
      ['/products?sort=cost', 'sort'],
      ['/products?internal=1', 'internal'],
      ['/products/123', 'id'],
    ] as const) {
      const res = await svc.request({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(
        res.json().errors.map((e: { field: string }) => e.field),
        url,
      ).toContain(field);
    }
  });
});
