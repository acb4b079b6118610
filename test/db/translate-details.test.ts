import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteQualified, StrataError, translateMariaDbError, translatePostgresError } from '../../src/db/index.js';
import { columnsFromDetail } from '../../src/db/translate-postgres.js';

/** Every mapping, message and detail of the two translators and the quoting helper (pure; translate.test.ts has the basics). */
describe('translatePostgresError: every SQLSTATE it maps, its messages and details', () => {
  it.each([
    ['57P02', 'CONNECTION_LOST'],
    ['57P03', 'CONNECTION_FAILED'],
    ['3D000', 'CONNECTION_FAILED'],
    ['28000', 'CONNECTION_FAILED'],
    ['28P01', 'CONNECTION_FAILED'],
    ['22P02', 'INVALID_DATA'],
    ['22001', 'INVALID_DATA'],
    ['42501', 'DATABASE_ERROR'],
    ['XX000', 'DATABASE_ERROR'],
  ])('SQLSTATE %s -> %s', (sqlState, code) => {
    const err = translatePostgresError({ code: sqlState, message: 'x' });
    expect([err.code, err.details.sqlState]).toEqual([code, sqlState]);
  });

  it('connection classes and network codes: CONNECTION_FAILED while connecting, CONNECTION_LOST after', () => {
    for (const code of ['08000', '08006', '08P01', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']) {
      expect(translatePostgresError({ code }, 'connect').code, code).toBe('CONNECTION_FAILED');
      expect(translatePostgresError({ code }, 'query').code, code).toBe('CONNECTION_LOST');
      expect(translatePostgresError({ code }).code, code).toBe('CONNECTION_LOST');
    }
    const pool = { message: 'timeout exceeded when trying to connect' };
    expect(translatePostgresError(pool, 'connect').code).toBe('CONNECTION_FAILED');
    expect(translatePostgresError(pool).code).toBe('CONNECTION_LOST');
    expect(translatePostgresError({ code: 'E08X' }).code).toBe('DATABASE_ERROR');
  });

  it('messages of a lost connection count only without a SQLSTATE', () => {
    for (const message of ['Connection terminated', 'Client has encountered a connection error and is not queryable', 'connection was closed'])
      expect(translatePostgresError({ message }).code, message).toBe('CONNECTION_LOST');
    expect(translatePostgresError({ code: '42P01', message: 'connection terminated' }).code).toBe('DATABASE_ERROR');
    expect(translatePostgresError({ message: 'something else' }).code).toBe('DATABASE_ERROR');
  });

  it('constraint messages name the table and constraint, never a value; details carry what the driver said', () => {
    const base = { schema: 'shop', table: 'items', constraint: 'items_c', detail: 'Key (sku, "Currency")=(secret, EUR) already exists.' };
    const unique = translatePostgresError({ ...base, code: '23505', message: 'duplicate key value violates "items_c": secret' });
    expect(unique.message).toBe('unique constraint violated on items (items_c)');
    expect(unique.details).toEqual({ sqlState: '23505', schema: 'shop', table: 'items', constraint: 'items_c', columns: ['sku', 'Currency'] });
    expect(unique.cause).toMatchObject({ code: '23505' });
    expect(translatePostgresError({ ...base, code: '23503' }).message).toBe('foreign key constraint violated on items (items_c)');
    expect(translatePostgresError({ ...base, code: '23514' }).message).toBe('check constraint violated on items (items_c)');
    expect(translatePostgresError({ code: '23514' }).message).toBe('check constraint violated');
    expect(translatePostgresError({ code: '23505' }).details).toEqual({ sqlState: '23505' });
    const notNull = translatePostgresError({ code: '23502', table: 'items', column: 'sku', detail: 'Failing row contains (secret).' });
    expect(notNull.message).toBe('column sku on items must not be null');
    expect(notNull.details).toEqual({ sqlState: '23502', table: 'items', columns: ['sku'] });
    expect(translatePostgresError({ code: '23502' }).message).toBe('column ? must not be null');
    expect(translatePostgresError({ code: '40P01', message: 'deadlock detected' }).message).toBe('deadlock detected');
    expect(translatePostgresError({ code: '40P01' }).message).toBe('deadlock');
  });

  it('anything thrown becomes a StrataError; a StrataError passes through unchanged', () => {
    const text = translatePostgresError('boom');
    expect([text.code, text.message, text.cause]).toEqual(['DATABASE_ERROR', 'boom', 'boom']);
    expect(translatePostgresError(null).message).toBe('null');
    const own = new StrataError('LOCK_TIMEOUT', 'mine');
    expect(translatePostgresError(own)).toBe(own);
    expect(translateMariaDbError(own)).toBe(own);
  });

  it('columnsFromDetail reads only a leading "Key (...)=(" and unquotes each name', () => {
    expect(columnsFromDetail('Key ("a b", c)=(1, 2) already exists.')).toEqual(['a b', 'c']);
    expect(columnsFromDetail('Key (lower(sku))=(x) already exists.')).toEqual(['lower(sku)']);
    expect(columnsFromDetail('Failing row contains (x).')).toBeUndefined();
    expect(columnsFromDetail(' Key (a)=(1)')).toBeUndefined();
    expect(columnsFromDetail('Key ()=(1)')).toBeUndefined();
    expect(columnsFromDetail('')).toBeUndefined();
  });
});

describe('translateMariaDbError: every errno it maps, its messages and details', () => {
  it.each([
    [1062, 'UNIQUE_VIOLATION'],
    [1451, 'FOREIGN_KEY_VIOLATION'],
    [1452, 'FOREIGN_KEY_VIOLATION'],
    [4025, 'CHECK_VIOLATION'],
    [3819, 'CHECK_VIOLATION'],
    [1048, 'NOT_NULL_VIOLATION'],
    [1364, 'NOT_NULL_VIOLATION'],
    [1213, 'DEADLOCK'],
    [1205, 'LOCK_TIMEOUT'],
    [3024, 'STATEMENT_TIMEOUT'],
    [1969, 'STATEMENT_TIMEOUT'],
    [1927, 'CONNECTION_LOST'],
    [1053, 'CONNECTION_LOST'],
    [1045, 'CONNECTION_FAILED'],
    [1049, 'CONNECTION_FAILED'],
    [1264, 'INVALID_DATA'],
    [1366, 'INVALID_DATA'],
    [1406, 'INVALID_DATA'],
    [1146, 'DATABASE_ERROR'],
  ])('errno %i -> %s', (errno, code) => {
    expect(translateMariaDbError({ errno, sqlMessage: 'x' }).code).toBe(code);
  });

  it('driver codes: a lost connection while connecting failed it; a refused or unreachable server fails whatever the phase', () => {
    for (const code of ['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_CONNECTION_KILLED']) {
      expect(translateMariaDbError({ code }, 'query').code, code).toBe('CONNECTION_LOST');
      expect(translateMariaDbError({ code }, 'connect').code, code).toBe('CONNECTION_FAILED');
    }
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'])
      expect(translateMariaDbError({ code }, 'query').code, code).toBe('CONNECTION_FAILED');
    expect(translateMariaDbError({ code: 'ER_PARSE_ERROR' }).code).toBe('DATABASE_ERROR');
    // The errno decides before the driver code.
    expect(translateMariaDbError({ errno: 1213, code: 'ECONNRESET' }).code).toBe('DEADLOCK');
  });

  it('unique: the key name without its table, in the message and details; the value never', () => {
    const dup = translateMariaDbError({ errno: 1062, sqlState: '23000', sqlMessage: "Duplicate entry 'secret' for key 'items.items_sku_key'" });
    expect([dup.message, dup.details]).toEqual(['unique violation (items_sku_key)', { sqlState: '23000', constraint: 'items_sku_key' }]);
    expect(translateMariaDbError({ errno: 1062, sqlMessage: 'Duplicate entry' })).toMatchObject({ message: 'unique violation', details: {} });
  });

  it('foreign key: constraint, child table and columns', () => {
    const text =
      'Cannot add or update a child row: a foreign key constraint fails (`test`.`order_lines`, CONSTRAINT `lines_order_fk` FOREIGN KEY (`order_id`, `shop`) REFERENCES `orders` (`id`))';
    const fk = translateMariaDbError({ errno: 1452, sqlMessage: text });
    expect([fk.message, fk.details]).toEqual([
      'foreign key violation (lines_order_fk)',
      { constraint: 'lines_order_fk', table: 'order_lines', columns: ['order_id', 'shop'] },
    ]);
    expect(translateMariaDbError({ errno: 1451, sqlMessage: 'fails' }).details).toEqual({});
  });

  it('check: the constraint from either message form, and the table', () => {
    expect(translateMariaDbError({ errno: 4025, sqlMessage: 'CONSTRAINT `price_positive` failed for `test`.`items`' }).details).toEqual({
      constraint: 'price_positive',
      table: 'items',
    });
    const mysql = translateMariaDbError({ errno: 3819, sqlMessage: "Check constraint 'price_positive' is violated." });
    expect([mysql.message, mysql.details]).toEqual(['check violation (price_positive)', { constraint: 'price_positive' }]);
    expect(translateMariaDbError({ errno: 4025, sqlMessage: 'x' }).details).toEqual({});
  });

  it('not null: the column from either message form', () => {
    expect(translateMariaDbError({ errno: 1048, sqlMessage: "Column 'sku' cannot be null" }).details).toEqual({ columns: ['sku'] });
    const missing = translateMariaDbError({ errno: 1364, sqlMessage: "Field 'name' doesn't have a default value" });
    expect([missing.message, missing.details]).toEqual(['not null violation', { columns: ['name'] }]);
    expect(translateMariaDbError({ errno: 1048, sqlMessage: 'x' }).details).toEqual({});
  });

  it("unmapped errors and connection errors keep the server's text; sqlMessage is preferred to message", () => {
    expect(translateMariaDbError({ errno: 1146, sqlMessage: "Table 'x' doesn't exist", message: 'other' }).message).toBe("Table 'x' doesn't exist");
    expect(translateMariaDbError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }).message).toBe('connect ECONNREFUSED');
    expect(translateMariaDbError({ errno: 1045, sqlMessage: 'Access denied' }).message).toBe('Access denied');
    expect(translateMariaDbError({ errno: 1205, message: 'Lock wait timeout exceeded' }).message).toBe('lock timeout');
    expect(translateMariaDbError({}).message).toBe('');
    expect(translateMariaDbError(null)).toMatchObject({ code: 'DATABASE_ERROR', message: 'null' });
    const text = translateMariaDbError('boom');
    expect([text.code, text.message, text.cause]).toEqual(['DATABASE_ERROR', 'boom', 'boom']);
  });
});

describe('quoteIdent and quoteQualified', () => {
  it('quote per engine, refuse NUL, and quote each part of a qualified name', () => {
    expect(quoteIdent('a`b')).toBe('"a`b"');
    expect(quoteIdent('a"b', 'mariadb')).toBe('`a"b`');
    expect(quoteIdent('""')).toBe('""""""');
    expect(() => quoteIdent('a\u0000b')).toThrow(new TypeError('identifier must not contain NUL'));
    expect(() => quoteIdent('')).toThrow(new TypeError('identifier must not be empty'));
    expect(quoteQualified('shop.items', 'mariadb')).toBe('`shop`.`items`');
    expect(quoteQualified('items')).toBe('"items"');
    expect(quoteQualified('a.b.c')).toBe('"a"."b"."c"');
    expect(() => quoteQualified('shop.')).toThrow(TypeError);
  });
});
