import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineEncoder } from '../../src/bulk/encode.js';
import { copyLine, copyValue } from '../../src/bulk/index.js';

const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\t', '\n', '\r', '\\', '"', 'N', 'é', ',', '{', '}') });
const value = fc.oneof(
  text,
  fc.integer(),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }),
  fc.array(fc.oneof(text, fc.constant(null)), { maxLength: 3 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(text, fc.integer())),
);

describe('COPY text encoding', () => {
  it('a line is exactly its values escaped one by one, whatever they hold', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), (values) => {
        const columns = values.map((_, i) => `c${i}`);
        const row = Object.fromEntries(values.map((v, i) => [`c${i}`, v]));
        expect(copyLine(row, columns)).toBe(`${values.map((v) => copyValue(v)).join('\t')}\n`);
      }),
      { numRuns: 2000 },
    );
  });

  it("a load's encoder (chosen from its first row's types) writes exactly copyLine's line for any later row, whatever its types", () => {
    const row = (n: number) => fc.array(value, { minLength: n, maxLength: n });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(row(n), fc.array(row(n), { minLength: 1, maxLength: 5 }))),
        ([sample, rows]) => {
          const columns = sample.map((_, i) => `c${i}`);
          const asRow = (values: unknown[]) => Object.fromEntries(values.map((v, i) => [`c${i}`, v]));
          const encode = lineEncoder(columns, asRow(sample));
          for (const values of [sample, ...rows]) expect(encode(asRow(values))).toBe(copyLine(asRow(values), columns));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('values escape tabs, line breaks and backslashes; timestamps are the same instant as toISOString', () => {
    expect(copyValue('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyValue(null)).toBe('\\N');
    expect(copyValue({ k: 'x\\y' })).toBe('{"k":"x\\\\\\\\y"}');
    expect(copyValue(['a', null, 'b"c'])).toBe('{"a",NULL,"b\\\\"c"}');
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
        const text = copyValue(date);
        expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+00$/);
        expect(new Date(text.replace(' ', 'T').replace('+00', 'Z')).getTime()).toBe(date.getTime());
      }),
      { numRuns: 2000 },
    );
  });

  it('timestamps by the fast path from the epoch to 9999-12-31 23:59:59.999, toISOString outside it; milliseconds always three digits', () => {
    const at = (ms: number) => copyValue(new Date(ms));
    expect([at(-1), at(0), at(253402300799999), at(253402300800000)]).toEqual([
      '1969-12-31T23:59:59.999Z',
      '1970-01-01 00:00:00.000+00',
      '9999-12-31 23:59:59.999+00',
      '+010000-01-01T00:00:00.000Z',
    ]);
    expect([9, 10, 99, 100].map(at)).toEqual([
      '1970-01-01 00:00:00.009+00',
      '1970-01-01 00:00:00.010+00',
      '1970-01-01 00:00:00.099+00',
      '1970-01-01 00:00:00.100+00',
    ]);
    expect([Date.UTC(2000, 1, 29), Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 2, 1, 9, 5, 7)].map(at)).toEqual([
      '2000-02-29 00:00:00.000+00',
      '2024-02-29 23:59:59.999+00',
      '2100-03-01 09:05:07.000+00',
    ]);
  });

  it('array literals: nested arrays, NULL for null and undefined items, dates, objects and other values quoted as text', () => {
    expect(copyValue([['a', null], []])).toBe('{{"a",NULL},{}}');
    expect(copyValue([undefined, null])).toBe('{NULL,NULL}');
    expect(copyValue([new Date(0), { a: 'x"' }, 1, true, 2n])).toBe('{"1970-01-01T00:00:00.000Z","{\\\\"a\\\\":\\\\"x\\\\\\\\\\\\"\\\\"}","1","true","2"}');
    expect([copyValue(true), copyValue(false), copyValue(12n), copyValue(-1.5), copyValue(undefined), copyValue('')]).toEqual([
      't',
      'f',
      '12',
      '-1.5',
      '\\N',
      '',
    ]);
  });

  it('an array literal is escaped for COPY as a whole (a tab inside an item too); no columns is an empty line; other values are their string form', () => {
    expect(copyValue(['a\tb', 'c\\d'])).toBe('{"a\\tb","c\\\\\\\\d"}');
    expect(lineEncoder([], {})({})).toBe('\n');
    expect(copyLine({}, [])).toBe('\n');
    expect(copyValue(Symbol.for('x'))).toBe('Symbol(x)');
  });

  it('a value made only of characters to escape is escaped too, as text and as an array item', () => {
    expect([copyValue('\t'), copyValue('\\'), copyValue(['"', '\\'])]).toEqual(['\\t', '\\\\', '{"\\\\"","\\\\\\\\"}']);
    expect(lineEncoder(['a', 'b'], { a: 'x', b: ['y'] })({ a: '\n', b: ['"'] })).toBe('\\n\t{"\\\\""}\n');
  });
});
