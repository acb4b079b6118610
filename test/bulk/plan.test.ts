import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { LineMap } from '../../src/bulk/line-map.js';
import { badRow, chunkSetup, copyStatement, failure, NO_STATEMENT_TIMEOUT, type Plan } from '../../src/bulk/plan.js';
import { isStrataError, StrataError } from '../../src/db/index.js';

const insert: Plan = { base: '"public"."goods"', target: { schema: 'public', table: 'goods' }, columns: ['sku', 'Price'], table: 'goods' };
const upsert: Plan = { ...insert, upsert: { key: ['sku'], update: ['Price'] } };

const serverError = (code: string, fields: Record<string, unknown> = {}) =>
  Object.assign(new pg.DatabaseError('bad value', 1, 'error'), { code, severity: 'ERROR', ...fields });

describe("a chunk's statements (pure)", () => {
  it('a chunk runs without statement timeout; an upsert stages into a temporary copy of the table with a line column', () => {
    expect(NO_STATEMENT_TIMEOUT).toBe('SET LOCAL statement_timeout = 0');
    expect(chunkSetup(insert)).toEqual(['SET LOCAL statement_timeout = 0']);
    expect(chunkSetup(upsert)).toEqual([
      'SET LOCAL statement_timeout = 0',
      'CREATE TEMP TABLE IF NOT EXISTS strata_bulk_stage (LIKE "public"."goods" INCLUDING DEFAULTS) ON COMMIT DROP',
      'ALTER TABLE strata_bulk_stage ADD COLUMN IF NOT EXISTS strata_line bigint GENERATED ALWAYS AS IDENTITY',
    ]);
  });

  it("with a write context, the chunk's transaction sets the actor and request id as parameters (transaction-local)", () => {
    expect(chunkSetup({ ...insert, writeContext: { actor: "o'brien", requestId: 'r-1' } })).toEqual([
      'SET LOCAL statement_timeout = 0',
      { text: "SELECT set_config('strata.actor', $1, true), set_config('strata.request_id', $2, true)", values: ["o'brien", 'r-1'] },
    ]);
  });

  it('COPY goes to the table, or to the staging table for an upsert; csv passes a file through', () => {
    expect(copyStatement(insert)).toBe('COPY "public"."goods" ("sku", "Price") FROM STDIN');
    expect(copyStatement(insert, true)).toBe('COPY "public"."goods" ("sku", "Price") FROM STDIN WITH (FORMAT csv)');
    expect(copyStatement(upsert)).toBe('COPY strata_bulk_stage ("sku", "Price") FROM STDIN');
  });

  it('a write context without an actor or request id sets them empty', () => {
    expect(chunkSetup({ ...insert, writeContext: {} })).toEqual([
      'SET LOCAL statement_timeout = 0',
      { text: "SELECT set_config('strata.actor', $1, true), set_config('strata.request_id', $2, true)", values: ['', ''] },
    ]);
  });
});

describe('badRow: the server complaint about a chunk, pointed at its input line', () => {
  const lines = LineMap.of([10, 11, 12, 20, 21]);

  it('COPY names its row (1-based within the chunk) and column: the input line and column', () => {
    const err = badRow(serverError('22P02', { where: 'COPY goods, line 4, column price: "abc"', table: 'goods' }), lines);
    expect(err.code).toBe('BULK_BAD_ROW');
    expect(err.message).toBe('line 20, column price: bad value');
    expect(err.details).toMatchObject({ sqlState: '22P02', table: 'goods', line: 20, columns: ['price'] });
    expect(err.details).not.toHaveProperty('lines');
    expect(badRow(serverError('23502', { where: 'COPY goods, line 1' }), lines).message).toBe('line 10: column ? must not be null');
  });

  it('a merge failure names the rows it involves; without a position, the whole chunk', () => {
    const merged = badRow(serverError('23505', { constraint: 'goods_sku_key' }), lines, [1, 3]);
    expect(merged.message).toBe('lines 11-20: unique constraint violated (goods_sku_key)');
    expect(merged.details).toMatchObject({ lines: [11, 20], constraint: 'goods_sku_key' });
    expect(badRow(serverError('23505'), lines, [2, 2]).details).toMatchObject({ line: 12 });
    const whole = badRow(serverError('23514', { where: 'PL/pgSQL function f() line 12 at RAISE' }), lines);
    expect([whole.message, whole.details.lines]).toEqual(['lines 10-21: check constraint violated', [10, 21]]);
  });

  it('rows outside the chunk fall back to its first and last line, or to "?" for an empty chunk', () => {
    expect(badRow(serverError('23505'), lines, [0, 9]).message).toBe('lines 10-21: unique constraint violated');
    expect(badRow(serverError('23505'), lines, [0, 9]).details).toMatchObject({ lines: [10, 21] });
    const empty = badRow(serverError('23505'), new LineMap());
    expect(empty.message).toBe('lines ?-?: unique constraint violated');
    expect(empty.details).not.toHaveProperty('lines');
    expect(empty.details).not.toHaveProperty('line');
  });

  it("errors that are not the row's fault are translated, not pinned on a row; a StrataError passes through", () => {
    const timeout = badRow(serverError('57014', { where: 'COPY goods, line 2' }), lines);
    expect([timeout.code, timeout.details]).toEqual(['STATEMENT_TIMEOUT', { sqlState: '57014' }]);
    const own = new StrataError('BULK_BAD_ROW', 'x');
    expect(badRow(own, lines)).toBe(own);
  });

  it('a COPY line of two digits or more; one row without a position is its line; a first row past the chunk; the driver error is the cause', () => {
    const twelve = LineMap.of(Array.from({ length: 12 }, (_, i) => 101 + i));
    const cause = serverError('22P02', { where: 'COPY goods, line 12, column price: "x"' });
    const err = badRow(cause, twelve);
    expect([err.message, err.details.line, err.cause]).toEqual(['line 112, column price: bad value', 112, cause]);
    const one = badRow(serverError('23514'), LineMap.of([7]));
    expect([one.message, one.details.line, one.details.lines]).toEqual(['line 7: check constraint violated', 7, undefined]);
    const past = badRow(serverError('23505'), lines, [5, 4]);
    expect([past.message, past.details.lines, past.details.line]).toEqual(['lines 10-21: unique constraint violated', [10, 21], undefined]);
  });
});

describe('failure: any other failure of a load', () => {
  it('server and socket errors are translated; anything else is the source failing', () => {
    expect(failure(serverError('57P01')).code).toBe('CONNECTION_LOST');
    expect(failure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' })).code).toBe('CONNECTION_LOST');
    const source = failure(new Error('disk on fire'));
    expect([source.code, source.message]).toEqual(['BULK_SOURCE_INVALID', 'the source failed: disk on fire']);
    expect(failure('text').message).toBe('the source failed: text');
    const own = new StrataError('BULK_SOURCE_INVALID', 'mine');
    expect(failure(own)).toBe(own);
    expect(isStrataError(failure(new Error('x')), 'BULK_SOURCE_INVALID')).toBe(true);
    const fire = new Error('disk on fire');
    expect(failure(fire).cause).toBe(fire);
  });
});
