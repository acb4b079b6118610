import fc from 'fast-check';
import type { Sort } from '../../src/service/catalog/cursor.js';

/** Generators of list cursors for the property tests (test/service/cursor*.property.test.ts). */

export const SORTS: readonly Sort[] = ['created', '-created', 'price', '-price', 'name', '-name', '-deleted'];
export const INT8_MAX = 9223372036854775807n;

export const forgedValue = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('', '\u0000', 'a\u0000', '\ud800', '9999999999999999999', '9223372036854775807', '9223372036854775808', '-1', '01', '1e3'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '2026-02-31T00:00:00.000Z', '1', 'now', '2026-01-01'),
);
export const forgedId = fc.oneof(fc.uuid(), fc.constantFrom('01900000-0000-7000-8000-000000000000', 'not-a-uuid', ''), fc.string());
export const encode = (parts: unknown) => Buffer.from(JSON.stringify(parts) ?? '').toString('base64url');
/** A cursor for `sort` built like the API's, with forged contents (what reaches SQL unless decoding refuses it). */
export const forgedFor = (sort: Sort) => fc.tuple(fc.constant(sort), forgedValue, fc.oneof({ weight: 4, arbitrary: fc.uuid() }, forgedId)).map(encode);
export const forged = fc.oneof(
  fc.tuple(fc.constantFrom(...SORTS), forgedValue, forgedId).map(encode),
  fc.jsonValue().map(encode),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.string({ maxLength: 80 }),
);
