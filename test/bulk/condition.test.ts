import { describe, expect, it } from 'vitest';
import { checkCondition } from '../../src/bulk/condition.js';
import { isStrataError } from '../../src/db/index.js';

const PREFIX = 'the where condition must be one SQL expression, e.g. "price > 1000": ';

function why(text: string): string {
  try {
    checkCondition(text);
  } catch (err) {
    expect(isStrataError(err, 'BULK_WHERE_INVALID'), String(err)).toBe(true);
    const message = (err as Error).message;
    expect(message.startsWith(PREFIX), message).toBe(true);
    return message.slice(PREFIX.length);
  }
  throw new Error(`expected BULK_WHERE_INVALID for ${JSON.stringify(text)}, it was accepted`);
}

describe('checkCondition (strata export --where; pure, the database tests are in export-where.test.ts)', () => {
  it('returns one expression unchanged, whatever its quotes hold', () => {
    for (const text of [
      'price > 1000',
      '(price > 0) AND (name <> $$a; b -- c )$$)',
      "name = 'it''s; -- (not) a comment'",
      "name = E'a\\'; ) b'",
      '"odd;name)" = 1',
      '$tag$ ) ; -- $$ $tag$ = name',
      'price$1 > 0',
      'a$ = 1',
      "x = 'e' AND y = 'E'",
      'sku IN (SELECT sku FROM t WHERE (a > b))',
      'price - 1 > 0 AND price / 2 > 1',
    ])
      expect(checkCondition(text), text).toBe(text);
  });

  it('refuses what could end or change the statement, saying where', () => {
    expect(why('')).toBe('it is empty');
    expect(why('   ')).toBe('it is empty');
    expect(why('price > 0) TO STDOUT; --')).toBe('")" at character 10 closes a parenthesis it did not open');
    expect(why('price > 0; DROP TABLE t')).toBe('";" at character 10 would end the statement');
    expect(why('price > 0 -- x')).toBe('comments are not allowed (character 11)');
    expect(why('price > 0 /* x */')).toBe('comments are not allowed (character 11)');
    expect(why('((price > 0)')).toBe('1 "(" never closed');
    expect(why('(((a')).toBe('3 "(" never closed');
    expect(why("name = 'open")).toBe('the quote at character 8 is never closed');
    expect(why('"open = 1')).toBe('the quote at character 1 is never closed');
    expect(why('name = $q$ open')).toBe('the dollar quote $q$ at character 8 is never closed');
    expect(why('name = $$ open')).toBe('the dollar quote $$ at character 8 is never closed');
  });

  it("a backslash escapes a quote only in an E'' string (not after a word ending in e)", () => {
    // E'...\'...' is one string: the ; inside it is text.
    expect(checkCondition("x = E'\\'; ' AND y = 1")).toBe("x = E'\\'; ' AND y = 1");
    expect(checkCondition("x = e'\\'; '")).toBe("x = e'\\'; '");
    // In a plain string the backslash is text, so the quote after it ends the string and ; is outside.
    expect(why("x = '\\'; '")).toBe('";" at character 8 would end the statement');
    // After a word ending in e (some_namee'...) the quote opens no E string either.
    expect(why("some_namee'\\'; '")).toBe('";" at character 14 would end the statement');
  });

  it('a single minus or slash is arithmetic, a $ inside a word is no dollar quote', () => {
    expect(checkCondition('a - -1 > 0')).toBe('a - -1 > 0');
    expect(why('a$$ ; $$')).toBe('";" at character 5 would end the statement');
    expect(checkCondition('x = $1')).toBe('x = $1');
  });

  it("a doubled quote inside an E'' string keeps the backslash escapes on; e elsewhere before a string does not turn them on; identifiers have no escapes; * is no comment alone", () => {
    expect(checkCondition("x = E'a''\\';'")).toBe("x = E'a''\\';'");
    expect(why("name = '\\'; '")).toBe('";" at character 11 would end the statement');
    expect(why('"a\\";"')).toBe('";" at character 5 would end the statement');
    expect(checkCondition('sku IN (SELECT sku FROM t GROUP BY sku HAVING count(*) > 1) AND price*2 > 1')).toBe(
      'sku IN (SELECT sku FROM t GROUP BY sku HAVING count(*) > 1) AND price*2 > 1',
    );
  });
});
