import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHost, DEFAULT_POOL, isStrataError, loadConfig, loadServiceConfig } from '../../src/db/index.js';

/** The message of the CONFIG_INVALID error `load` throws (fails the test if it throws anything else or nothing). */
function refusal(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    expect(isStrataError(err, 'CONFIG_INVALID'), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected CONFIG_INVALID, nothing was thrown');
}

describe('loadConfig (pure: the environment is an argument)', () => {
  it('with nothing set: the embedded server, .strata, the default pool, slow-query log at 500 ms without plans', () => {
    // Strict: a key set to undefined (embeddedPort: undefined) would be a difference.
    expect(loadConfig({})).toStrictEqual({
      home: '.strata',
      slowQuery: { thresholdMs: 500, explain: 'off', sampleRate: 1 },
      pool: { max: 10, idleTimeoutMs: 10_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000, applicationName: 'strata' },
    });
    expect(DEFAULT_POOL).toEqual({ max: 10, idleTimeoutMs: 10_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 30_000, applicationName: 'strata' });
  });

  it('an empty variable counts as unset', () => {
    const empty = Object.fromEntries(
      [
        'DATABASE_URL',
        'STRATA_DIRECT_URL',
        'MARIADB_URL',
        'STRATA_HOME',
        'STRATA_PG_PORT',
        'STRATA_SLOW_QUERY_MS',
        'STRATA_EXPLAIN',
        'STRATA_EXPLAIN_SAMPLE_RATE',
        'STRATA_POOL_MAX',
      ].map((name) => [name, '']),
    );
    expect(loadConfig(empty)).toEqual(loadConfig({}));
  });

  it('reads every variable it documents', () => {
    const home = mkdtempSync(join(tmpdir(), 'strata-config-'));
    expect(
      loadConfig({
        DATABASE_URL: 'postgresql://u@h/db',
        STRATA_DIRECT_URL: 'postgres://u@h:5433/db',
        MARIADB_URL: 'mariadb://root@h/test',
        STRATA_HOME: home,
        STRATA_PG_PORT: '65535',
        STRATA_SLOW_QUERY_MS: '0',
        STRATA_EXPLAIN: 'analyze',
        STRATA_EXPLAIN_SAMPLE_RATE: '.25',
        STRATA_POOL_MAX: '1000',
        STRATA_POOL_IDLE_TIMEOUT_MS: '86400000',
        STRATA_POOL_CONNECT_TIMEOUT_MS: '600000',
        STRATA_STATEMENT_TIMEOUT_MS: '0',
      }),
    ).toEqual({
      databaseUrl: 'postgresql://u@h/db',
      directUrl: 'postgres://u@h:5433/db',
      mariadbUrl: 'mariadb://root@h/test',
      home,
      embeddedPort: 65535,
      slowQuery: { thresholdMs: 0, explain: 'analyze', sampleRate: 0.25 },
      pool: { max: 1000, idleTimeoutMs: 86_400_000, connectionTimeoutMs: 600_000, statementTimeoutMs: 0, applicationName: 'strata' },
    });
    expect(loadConfig({ MARIADB_URL: 'mysql://root@h/test', STRATA_EXPLAIN: 'plan', STRATA_PG_PORT: '1', STRATA_POOL_MAX: '1' })).toMatchObject({
      mariadbUrl: 'mysql://root@h/test',
      embeddedPort: 1,
      slowQuery: { explain: 'plan' },
      pool: { max: 1 },
    });
  });

  it('whole numbers: both ends of each range are accepted, one past them is refused with the variable, the range and the value', () => {
    const ranges: [string, number, number][] = [
      ['STRATA_PG_PORT', 1, 65535],
      ['STRATA_SLOW_QUERY_MS', 0, 86_400_000],
      ['STRATA_POOL_MAX', 1, 1000],
      ['STRATA_POOL_IDLE_TIMEOUT_MS', 0, 86_400_000],
      ['STRATA_POOL_CONNECT_TIMEOUT_MS', 0, 600_000],
      ['STRATA_STATEMENT_TIMEOUT_MS', 0, 86_400_000],
    ];
    for (const [name, min, max] of ranges) {
      expect(() => loadConfig({ [name]: String(min) }), name).not.toThrow();
      expect(() => loadConfig({ [name]: String(max) }), name).not.toThrow();
      expect(refusal(() => loadConfig({ [name]: String(max + 1) }))).toBe(`${name} must be a whole number from ${min} to ${max} (got "${max + 1}")`);
      if (min > 0)
        expect(refusal(() => loadConfig({ [name]: String(min - 1) }))).toBe(`${name} must be a whole number from ${min} to ${max} (got "${min - 1}")`);
    }
    for (const raw of ['ten', '1.5', '-1', '1e3', '0x10', '5 5', '99999999999999999999']) {
      expect(
        refusal(() => loadConfig({ STRATA_POOL_MAX: raw })),
        raw,
      ).toBe(`STRATA_POOL_MAX must be a whole number from 1 to 1000 (got "${raw}")`);
    }
    expect(loadConfig({ STRATA_POOL_MAX: ' 20 ' }).pool.max).toBe(20);
  });

  it('STRATA_EXPLAIN is one of off, plan, analyze', () => {
    expect(loadConfig({ STRATA_EXPLAIN: 'off' }).slowQuery.explain).toBe('off');
    expect(refusal(() => loadConfig({ STRATA_EXPLAIN: 'PLAN' }))).toBe('STRATA_EXPLAIN must be one of off, plan, analyze (got "PLAN")');
  });

  it('STRATA_EXPLAIN_SAMPLE_RATE is a number from 0 to 1', () => {
    for (const [raw, value] of [
      ['0', 0],
      ['1', 1],
      ['0.5', 0.5],
      ['1.0', 1],
    ] as const)
      expect(loadConfig({ STRATA_EXPLAIN_SAMPLE_RATE: raw }).slowQuery.sampleRate, raw).toBe(value);
    for (const raw of ['1.5', '2', '-0.1', 'half', '0.5x', '1.', ' 0.5'])
      expect(
        refusal(() => loadConfig({ STRATA_EXPLAIN_SAMPLE_RATE: raw })),
        raw,
      ).toBe(`STRATA_EXPLAIN_SAMPLE_RATE must be a number from 0 to 1 (got "${raw}")`);
  });

  it('STRATA_HOME may be a folder or a path not made yet, not a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(loadConfig({ STRATA_HOME: join(dir, 'later') }).home).toBe(join(dir, 'later'));
    expect(refusal(() => loadConfig({ STRATA_HOME: file }))).toBe(`STRATA_HOME must be a folder (got "${file}", which is a file)`);
  });

  it('URLs: each variable takes its own schemes and names itself when refused', () => {
    expect(refusal(() => loadConfig({ DATABASE_URL: 'mysql://x' }))).toBe('DATABASE_URL must start with postgres:// or postgresql://');
    expect(refusal(() => loadConfig({ STRATA_DIRECT_URL: 'http://x' }))).toBe('STRATA_DIRECT_URL must start with postgres:// or postgresql://');
    expect(refusal(() => loadConfig({ MARIADB_URL: 'postgres://x' }))).toBe('MARIADB_URL must start with mysql:// or mariadb://');
    expect(refusal(() => loadConfig({ DATABASE_URL: 'not a url' }))).toBe('DATABASE_URL is not a valid URL');
    // The scheme is matched whole, not as a prefix or with its colon dropped anywhere else.
    expect(refusal(() => loadConfig({ DATABASE_URL: 'postgresx://x' }))).toMatch(/^DATABASE_URL must start/);
  });
});

describe('checkHost', () => {
  it('accepts IP addresses and host names', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::1', '::', 'localhost', 'db-1.example.com', 'a', 'x1.y2', 'a.b', 'db.x'])
      expect(checkHost(host), host).toBe(host);
  });

  it('refuses anything else, naming the variable', () => {
    for (const host of ['-db', 'db-', 'a..b', '.a', 'a.', 'a b', 'db_1', 'http://h', '', '1.2.3.4:80'])
      expect(
        refusal(() => checkHost(host, 'STRATA_HOST')),
        host,
      ).toBe(`STRATA_HOST must be an IP address or a host name such as 127.0.0.1, 0.0.0.0 or localhost (got "${host}")`);
    expect(refusal(() => checkHost('a b'))).toMatch(/^HOST must be/);
  });
});

describe('loadServiceConfig', () => {
  it('defaults: port 3000 on 127.0.0.1, log level info, the log format left to the terminal check', () => {
    const defaults = { port: 3000, host: '127.0.0.1', logLevel: 'info', rateLimit: 100, metricsAccess: 'admin', tokenCacheMs: 0 };
    expect(loadServiceConfig({})).toEqual(defaults);
    expect(loadServiceConfig({ HOST: '', LOG_FORMAT: '', STRATA_RATE_LIMIT: '', STRATA_METRICS_ACCESS: '', STRATA_TOKEN_CACHE_MS: '' })).toEqual(defaults);
  });

  it('reads PORT, HOST, LOG_LEVEL and LOG_FORMAT', () => {
    expect(loadServiceConfig({ PORT: '65535', HOST: '0.0.0.0', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' })).toEqual({
      port: 65535,
      host: '0.0.0.0',
      logLevel: 'silent',
      logFormat: 'json',
      rateLimit: 100,
      metricsAccess: 'admin',
      tokenCacheMs: 0,
    });
    expect(loadServiceConfig({ STRATA_TOKEN_CACHE_MS: '0' })).toMatchObject({ tokenCacheMs: 0 });
    expect(loadServiceConfig({ STRATA_TOKEN_CACHE_MS: '60000' })).toMatchObject({ tokenCacheMs: 60_000 });
    expect(loadServiceConfig({ STRATA_RATE_LIMIT: '0', STRATA_METRICS_ACCESS: 'public' })).toMatchObject({ rateLimit: 0, metricsAccess: 'public' });
    expect(loadServiceConfig({ STRATA_RATE_LIMIT: '1000000' })).toMatchObject({ rateLimit: 1_000_000 });
    expect(loadServiceConfig({ PORT: '1', LOG_FORMAT: 'pretty', LOG_LEVEL: 'trace' })).toMatchObject({ port: 1, logFormat: 'pretty', logLevel: 'trace' });
  });

  it('refuses bad values, each message naming its variable', () => {
    expect(refusal(() => loadServiceConfig({ PORT: '0' }))).toBe('PORT must be a whole number from 1 to 65535 (got "0")');
    expect(refusal(() => loadServiceConfig({ PORT: '65536' }))).toBe('PORT must be a whole number from 1 to 65535 (got "65536")');
    expect(refusal(() => loadServiceConfig({ HOST: 'not a host' }))).toMatch(/^HOST must be an IP address/);
    expect(refusal(() => loadServiceConfig({ LOG_LEVEL: 'verbose' }))).toBe(
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    );
    expect(refusal(() => loadServiceConfig({ LOG_FORMAT: 'xml' }))).toBe('LOG_FORMAT must be one of pretty, json (got "xml")');
    expect(refusal(() => loadServiceConfig({ STRATA_RATE_LIMIT: '-1' }))).toBe('STRATA_RATE_LIMIT must be a whole number from 0 to 1000000 (got "-1")');
    expect(refusal(() => loadServiceConfig({ STRATA_RATE_LIMIT: '1000001' }))).toBe(
      'STRATA_RATE_LIMIT must be a whole number from 0 to 1000000 (got "1000001")',
    );
    expect(refusal(() => loadServiceConfig({ STRATA_TOKEN_CACHE_MS: '60001' }))).toBe(
      'STRATA_TOKEN_CACHE_MS must be a whole number from 0 to 60000 (got "60001")',
    );
    expect(refusal(() => loadServiceConfig({ STRATA_METRICS_ACCESS: 'anyone' }))).toBe('STRATA_METRICS_ACCESS must be one of admin, public (got "anyone")');
  });
});
