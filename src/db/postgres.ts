import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { DEFAULT_POOL, type PoolOptions } from './config.js';
import { ConstraintColumns } from './constraint-columns.js';
import { type Database, databaseHandle } from './database.js';
import { rememberDirectQuery } from './direct-query.js';
import type { ErrorPhase, StrataError } from './errors.js';
import { rememberCapabilities } from './introspect/index.js';
import { postgresVersion } from './introspect/postgres.js';
import { applyPreparedStatements } from './prepared.js';
import { detectPooler, rememberPooler } from './session.js';
import { applyStatementTimeout } from './statement-timeout.js';
import { translatePostgresError } from './translate-postgres.js';
import { TranslatingDialect } from './translating-dialect.js';
import { postgresTypeParser } from './value-types.js';

/** int8 (and int8[]) become JavaScript bigints (never lossy numbers): the parsers of POSTGRES_VALUE_TYPES, pg's for the rest. */
const types = { getTypeParser: postgresTypeParser };

function poolConfig(url: string, options: PoolOptions): pg.PoolConfig {
  return {
    connectionString: url,
    max: options.max,
    idleTimeoutMillis: options.idleTimeoutMs,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    application_name: options.applicationName,
    types,
  };
}

function translator(constraints: ConstraintColumns) {
  return async (err: unknown, phase: ErrorPhase): Promise<StrataError> => {
    const translated = translatePostgresError(err, phase);
    const d = translated.details;
    if (translated.code !== 'CHECK_VIOLATION' || d.columns || !d.schema || !d.table || !d.constraint) return translated;
    const columns = await constraints.lookup(d.schema, d.table, d.constraint);
    return columns ? translated.withDetails({ columns }) : translated;
  };
}

/**
 * Connects to PostgreSQL: a Kysely instance over a node-postgres pool, errors translated.
 *
 * @example
 * const database = await openPostgres('postgres://postgres@127.0.0.1:5432/app', { max: 20 });
 */
export async function openPostgres<DB>(url: string, options: Partial<PoolOptions> = {}): Promise<Database<DB>> {
  const settings = { ...DEFAULT_POOL, ...options };
  const pool = new pg.Pool(poolConfig(url, settings));
  pool.on('error', () => undefined);
  // Until the pooler check below has answered, and behind a pooler, the timeout travels with each
  // transaction (a session SET or startup parameter does not work through PgBouncer); on a direct
  // connection it is one session SET per connection, which costs nothing per statement.
  let direct = false;
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
    if (settings.statementTimeoutMs > 0) applyStatementTimeout(client, settings.statementTimeoutMs, () => !direct);
    applyPreparedStatements(client, () => direct);
  });
  const translate = translator(new ConstraintColumns({ connectionString: url }));
  const dialect = new TranslatingDialect(new PostgresDialect({ pool }), translate, settings.observer);
  const db = new Kysely<DB>({ dialect });
  rememberDirectQuery(db, pool, translate, settings.observer);
  try {
    const capabilities = await postgresVersion(db);
    rememberCapabilities(db, capabilities);
    const pooled: boolean =
      settings.pooler ?? (await detectPooler(pool).catch((err: unknown): Promise<boolean> => Promise.reject(translatePostgresError(err, 'connect'))));
    rememberPooler(db, pooled);
    direct = !pooled;
    return databaseHandle({
      engine: 'postgres',
      db,
      capabilities,
      pooled,
      poolStats: () => ({ max: settings.max, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      connectRaw: () => pool.connect().catch((err: unknown) => Promise.reject(translatePostgresError(err, 'connect'))),
    });
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
}
