import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { StrataError } from './errors.js';
import type { QueryObserver } from './observer.js';

/** Pool sizing and timeouts; every field has a safe default. */
export interface PoolOptions {
  /** Most connections the pool opens. Default 10 (`STRATA_POOL_MAX`). */
  readonly max: number;
  /** Close a connection idle this long. Default 10 000 ms (`STRATA_POOL_IDLE_TIMEOUT_MS`). */
  readonly idleTimeoutMs: number;
  /** Give up acquiring a connection after this long. Default 5 000 ms (`STRATA_POOL_CONNECT_TIMEOUT_MS`). */
  readonly connectionTimeoutMs: number;
  /** Server-side statement timeout; 0 disables it. Default 30 000 ms (`STRATA_STATEMENT_TIMEOUT_MS`). */
  readonly statementTimeoutMs: number;
  /** Shown in pg_stat_activity. Default `strata`. */
  readonly applicationName: string;
  /** Called after every statement (query timing, slow-query log). */
  readonly observer?: QueryObserver;
  /**
   * Whether a transaction-mode pooler sits between strata and the server. Default: detected when
   * the database is opened (PgBouncer answers with a cancel key of its own); say `true` for a pooler
   * the check cannot see. Behind one, session state is never used (see docs/database.md).
   */
  readonly pooler?: boolean;
}

/** Everything strata reads from the environment, validated once. */
export interface StrataConfig {
  /** External PostgreSQL; when absent strata runs its embedded server. */
  readonly databaseUrl?: string;
  /**
   * The PostgreSQL server itself (`STRATA_DIRECT_URL`), for work that needs a session of its own
   * (the migration runner) when `databaseUrl` points at a transaction-mode pooler such as PgBouncer.
   */
  readonly directUrl?: string;
  /** MariaDB, when set. */
  readonly mariadbUrl?: string;
  /** Folder for local state (`STRATA_HOME`, default `.strata`). */
  readonly home: string;
  /** Port for the embedded server (`STRATA_PG_PORT`); default: remembered or free. */
  readonly embeddedPort?: number;
  readonly pool: PoolOptions;
  /** Slow-query log: threshold (`STRATA_SLOW_QUERY_MS`, default 500), plans (`STRATA_EXPLAIN`: off | plan | analyze), sampling (`STRATA_EXPLAIN_SAMPLE_RATE`, 0-1). */
  readonly slowQuery: { readonly thresholdMs: number; readonly explain: 'off' | 'plan' | 'analyze'; readonly sampleRate: number };
}

export const DEFAULT_POOL: PoolOptions = {
  max: 10,
  idleTimeoutMs: 10_000,
  connectionTimeoutMs: 5_000,
  statementTimeoutMs: 30_000,
  applicationName: 'strata',
};

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StrataError('CONFIG_INVALID', `${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function choice<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new StrataError('CONFIG_INVALID', `${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  return raw as T;
}

function fraction(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || value < 0 || value > 1) throw new StrataError('CONFIG_INVALID', `${name} must be a number from 0 to 1 (got "${raw}")`);
  return value;
}

function folder(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const info = statSync(raw, { throwIfNoEntry: false });
  if (info && !info.isDirectory()) throw new StrataError('CONFIG_INVALID', `${name} must be a folder (got "${raw}", which is a file)`);
  return raw;
}

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Checks a listen address: an IP address or a host name. */
export function checkHost(raw: string, name = 'HOST'): string {
  if (isIP(raw) === 0 && !HOST_NAME.test(raw)) {
    throw new StrataError('CONFIG_INVALID', `${name} must be an IP address or a host name such as 127.0.0.1, 0.0.0.0 or localhost (got "${raw}")`);
  }
  return raw;
}

function url(env: NodeJS.ProcessEnv, name: string, schemes: readonly string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new StrataError('CONFIG_INVALID', `${name} is not a valid URL`);
  }
  if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new StrataError('CONFIG_INVALID', `${name} must start with ${schemes.map((s) => `${s}://`).join(' or ')}`);
  }
  return raw;
}

/**
 * Reads and validates strata's configuration from environment variables.
 *
 * @example
 * const config = loadConfig(); // DATABASE_URL unset -> embedded PostgreSQL under .strata/pg
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): StrataConfig {
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres', 'postgresql']);
  const directUrl = url(env, 'STRATA_DIRECT_URL', ['postgres', 'postgresql']);
  const mariadbUrl = url(env, 'MARIADB_URL', ['mysql', 'mariadb']);
  const embeddedPort = integer(env, 'STRATA_PG_PORT', 1, 65535);
  return {
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(directUrl ? { directUrl } : {}),
    ...(mariadbUrl ? { mariadbUrl } : {}),
    ...(embeddedPort !== undefined ? { embeddedPort } : {}),
    home: folder(env, 'STRATA_HOME') ?? '.strata',
    slowQuery: {
      thresholdMs: integer(env, 'STRATA_SLOW_QUERY_MS', 0, 86_400_000) ?? 500,
      explain: choice(env, 'STRATA_EXPLAIN', ['off', 'plan', 'analyze'] as const) ?? 'off',
      sampleRate: fraction(env, 'STRATA_EXPLAIN_SAMPLE_RATE') ?? 1,
    },
    pool: {
      max: integer(env, 'STRATA_POOL_MAX', 1, 1000) ?? DEFAULT_POOL.max,
      idleTimeoutMs: integer(env, 'STRATA_POOL_IDLE_TIMEOUT_MS', 0, 86_400_000) ?? DEFAULT_POOL.idleTimeoutMs,
      connectionTimeoutMs: integer(env, 'STRATA_POOL_CONNECT_TIMEOUT_MS', 0, 600_000) ?? DEFAULT_POOL.connectionTimeoutMs,
      statementTimeoutMs: integer(env, 'STRATA_STATEMENT_TIMEOUT_MS', 0, 86_400_000) ?? DEFAULT_POOL.statementTimeoutMs,
      applicationName: DEFAULT_POOL.applicationName,
    },
  };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Where `strata serve` listens and how much it logs. */
export interface ServiceConfig {
  /** `PORT`, default 3000. */
  readonly port: number;
  /** `HOST`, default 127.0.0.1. */
  readonly host: string;
  /** `LOG_LEVEL`, default info. */
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** `LOG_FORMAT`: `pretty` (lines for people) or `json`; unset, the service picks by whether stdout is a terminal. */
  readonly logFormat?: 'pretty' | 'json';
  /** `STRATA_RATE_LIMIT`: requests per second each principal may send (as a burst too); 0 turns the limit off. Default 100. */
  readonly rateLimit: number;
  /** `STRATA_METRICS_ACCESS`: who may read /metrics, `admin` (a token with the admin scope, the default) or `public`. */
  readonly metricsAccess: 'admin' | 'public';
  /** `STRATA_TOKEN_CACHE_MS`: how long a valid API token is remembered, i.e. the longest a revocation made elsewhere takes to hold; 0 (the default) reads the token on every request. */
  readonly tokenCacheMs: number;
}

/**
 * Reads and validates the service's variables; every message names its variable.
 *
 * @example
 * const { port, host } = loadServiceConfig(); // PORT=abc -> "PORT must be a whole number from 1 to 65535 (got "abc")"
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const logFormat = choice(env, 'LOG_FORMAT', ['pretty', 'json'] as const);
  return {
    port: integer(env, 'PORT', 1, 65535) ?? 3000,
    host: env.HOST ? checkHost(env.HOST) : '127.0.0.1',
    logLevel: choice(env, 'LOG_LEVEL', LOG_LEVELS) ?? 'info',
    ...(logFormat ? { logFormat } : {}),
    rateLimit: integer(env, 'STRATA_RATE_LIMIT', 0, 1_000_000) ?? 100,
    metricsAccess: choice(env, 'STRATA_METRICS_ACCESS', ['admin', 'public'] as const) ?? 'admin',
    tokenCacheMs: integer(env, 'STRATA_TOKEN_CACHE_MS', 0, 60_000) ?? 0,
  };
}
