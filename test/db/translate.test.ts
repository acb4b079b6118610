import { describe, expect, it } from 'vitest';
import { loadConfig, quoteIdent, quoteQualified, translateMariaDbError, translatePostgresError } from '../../src/db/index.js';
import { columnsFromDetail } from '../../src/db/translate-postgres.js';

describe('translatePostgresError (pure)', () => {
  it.each([
    ['23505', 'UNIQUE_VIOLATION'],
    ['23503', 'FOREIGN_KEY_VIOLATION'],
    ['23514', 'CHECK_VIOLATION'],
    ['23502', 'NOT_NULL_VIOLATION'],
    ['40001', 'SERIALIZATION_FAILURE'],
    ['40P01', 'DEADLOCK'],
    ['55P03', 'LOCK_TIMEOUT'],
    ['57014', 'STATEMENT_TIMEOUT'],
    ['57P01', 'CONNECTION_LOST'],
    ['53300', 'TOO_MANY_CONNECTIONS'],
    ['22003', 'INVALID_DATA'],
    ['42P01', 'DATABASE_ERROR'],
  ])('SQLSTATE %s -> %s', (sqlState, code) => {
    expect(translatePostgresError({ code: sqlState, message: 'x' }).code).toBe(code);
  });

  it('42501 is ROW_SECURITY_REFUSED (403) for a row a row-level security policy refuses, DATABASE_ERROR for a missing privilege', () => {
    expect(translatePostgresError({ code: '42501', message: 'new row violates row-level security policy for table "accounts"' }).code).toBe(
      'ROW_SECURITY_REFUSED',
    );
    expect(translatePostgresError({ code: '42501', message: 'permission denied for table accounts' }).code).toBe('DATABASE_ERROR');
    // Another SQLSTATE naming row-level security is no refused row: COPY into a table with a policy is not supported (0A000).
    expect(translatePostgresError({ code: '0A000', message: 'COPY FROM not supported with row-level security' }).code).toBe('DATABASE_ERROR');
  });

  it('network failures are CONNECTION_FAILED while connecting and CONNECTION_LOST afterwards', () => {
    expect(translatePostgresError({ code: 'ECONNREFUSED' }, 'connect').code).toBe('CONNECTION_FAILED');
    expect(translatePostgresError({ code: 'ECONNRESET' }, 'query').code).toBe('CONNECTION_LOST');
    expect(translatePostgresError(new Error('Connection terminated unexpectedly')).code).toBe('CONNECTION_LOST');
  });

  it('parses key columns from the detail, including multi-column and quoted names', () => {
    expect(columnsFromDetail('Key (sku)=(a) already exists.')).toEqual(['sku']);
    expect(columnsFromDetail('Key (sku, "Currency")=(a, EUR) already exists.')).toEqual(['sku', 'Currency']);
    expect(columnsFromDetail(undefined)).toBeUndefined();
  });
});

describe('translateMariaDbError (pure)', () => {
  it('reads the key, constraint and column names from MariaDB messages', () => {
    const dup = translateMariaDbError({ errno: 1062, sqlMessage: "Duplicate entry 'secret' for key 'items_sku_key'" });
    expect(dup.code).toBe('UNIQUE_VIOLATION');
    expect(dup.details.constraint).toBe('items_sku_key');
    expect(dup.message).not.toContain('secret');
    expect(translateMariaDbError({ errno: 1048, sqlMessage: "Column 'sku' cannot be null" }).details.columns).toEqual(['sku']);
    expect(translateMariaDbError({ errno: 1213 }).code).toBe('DEADLOCK');
    expect(translateMariaDbError({ errno: 1205 }).code).toBe('LOCK_TIMEOUT');
    expect(translateMariaDbError({ code: 'PROTOCOL_CONNECTION_LOST' }).code).toBe('CONNECTION_LOST');
    expect(translateMariaDbError({ code: 'ECONNREFUSED' }).code).toBe('CONNECTION_FAILED');
    expect(translateMariaDbError({ errno: 1040, sqlMessage: 'Too many connections' }).code).toBe('TOO_MANY_CONNECTIONS');
    expect(translateMariaDbError({ errno: 1203 }).code).toBe('TOO_MANY_CONNECTIONS');
  });
});

describe('quoteIdent', () => {
  it('doubles embedded quotes and refuses empty names', () => {
    expect(quoteIdent('order')).toBe('"order"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('a`b', 'mariadb')).toBe('`a``b`');
    expect(quoteQualified('public.products')).toBe('"public"."products"');
    expect(() => quoteIdent('')).toThrow(TypeError);
  });
});

describe('loadConfig', () => {
  it('defaults to the embedded server with safe pool settings', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.home).toBe('.strata');
    expect(config.pool.max).toBe(10);
  });

  it('rejects malformed values with the variable name in the message', () => {
    expect(() => loadConfig({ STRATA_POOL_MAX: 'ten' })).toThrow(/STRATA_POOL_MAX/);
    expect(() => loadConfig({ STRATA_PG_PORT: '70000' })).toThrow(/STRATA_PG_PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must start with postgres/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL is not a valid URL/);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@h/db',
      MARIADB_URL: 'mysql://root@h/test',
      STRATA_HOME: '/tmp/s',
      STRATA_PG_PORT: '5544',
      STRATA_POOL_MAX: '20',
      STRATA_POOL_IDLE_TIMEOUT_MS: '1000',
      STRATA_POOL_CONNECT_TIMEOUT_MS: '2000',
      STRATA_STATEMENT_TIMEOUT_MS: '0',
    });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u@h/db', mariadbUrl: 'mysql://root@h/test', home: '/tmp/s', embeddedPort: 5544 });
    expect(config.pool).toMatchObject({ max: 20, idleTimeoutMs: 1000, connectionTimeoutMs: 2000, statementTimeoutMs: 0 });
  });
});
