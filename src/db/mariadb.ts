import { Kysely, MysqlDialect } from 'kysely';
import type { PoolOptions as MysqlPoolOptions, Pool, TypeCast } from 'mysql2';
import { DEFAULT_POOL, type PoolOptions } from './config.js';
import { type Database, databaseHandle } from './database.js';
import { StrataError } from './errors.js';
import { rememberCapabilities } from './introspect/index.js';
import { mariadbVersion } from './introspect/mariadb.js';
import { translateMariaDbError } from './translate-mariadb.js';
import { TranslatingDialect } from './translating-dialect.js';

/** BIGINT becomes a JavaScript bigint, as on PostgreSQL. */
const typeCast: TypeCast = (field, next) => {
  if (field.type === 'LONGLONG') {
    const text = field.string();
    return text === null ? null : BigInt(text);
  }
  return next();
};

interface PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

function mysqlOptions(url: string, options: PoolOptions): MysqlPoolOptions {
  return {
    uri: url.replace(/^mariadb:/, 'mysql:'),
    connectionLimit: options.max,
    maxIdle: options.max,
    idleTimeout: options.idleTimeoutMs,
    connectTimeout: options.connectionTimeoutMs || 10_000,
    supportBigNumbers: true,
    dateStrings: false,
    typeCast,
  };
}

/**
 * Connects to MariaDB through Kysely's MySQL dialect (mysql2), errors translated to StrataErrors.
 *
 * @example
 * const database = await openMariaDb('mysql://root@127.0.0.1:3306/test');
 */
export async function openMariaDb<DB>(url: string, options: Partial<PoolOptions> = {}): Promise<Database<DB>> {
  const settings = { ...DEFAULT_POOL, ...options };
  // Loaded on first use: PostgreSQL-only processes never pay for the MySQL driver.
  const { createPool } = await import('mysql2');
  const pool: Pool = createPool(mysqlOptions(url, settings));
  pool.on('connection', (conn) => {
    conn.on('error', () => undefined);
    if (settings.statementTimeoutMs > 0) conn.query(`SET SESSION max_statement_time = ${settings.statementTimeoutMs / 1000}`);
  });
  const dialect = new TranslatingDialect(new MysqlDialect({ pool }), async (err, phase) => translateMariaDbError(err, phase), settings.observer);
  const db = new Kysely<DB>({ dialect });
  try {
    const capabilities = await mariadbVersion(db);
    if (!capabilities.version) throw new StrataError('CONNECTION_FAILED', 'the server returned no version');
    rememberCapabilities(db, capabilities);
    const internals = pool as unknown as PoolInternals;
    return databaseHandle({
      engine: 'mariadb',
      pooled: false,
      db,
      capabilities,
      poolStats: () => {
        const total = internals._allConnections?.length ?? 0;
        const idle = internals._freeConnections?.length ?? 0;
        return { max: settings.max, total, idle, waiting: internals._connectionQueue?.length ?? 0 };
      },
    });
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
}
