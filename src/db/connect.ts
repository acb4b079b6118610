import { loadConfig, type StrataConfig } from './config.js';
import type { Database } from './database.js';
import { EmbeddedServer } from './embedded/index.js';
import { openPostgres } from './postgres.js';

/** An open database plus whatever strata started to provide it. */
export interface Connection<DB> {
  readonly database: Database<DB>;
  /** `external` (DATABASE_URL), `embedded` (started here or shared with other strata processes) or `embedded-daemon` (kept up by `strata db start`). */
  readonly source: 'external' | 'embedded' | 'embedded-daemon';
  /** The URL with its password hidden, for logs and messages. */
  readonly safeUrl: string;
  /**
   * Runs `work` on a database whose connections are sessions of their own, for what a
   * transaction-mode pooler cannot carry (the migration runner): the server at STRATA_DIRECT_URL
   * when it is set (opened for the call, closed after), else this connection's own database.
   */
  withSession<T>(work: (database: Database<DB>) => Promise<T>): Promise<T>;
  /** Closes the pool, then leaves the embedded server: the last strata process using it stops it (unless `strata db start` keeps it up). */
  close(): Promise<void>;
}

/** The URL with any password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

function sessionRunner<DB>(config: StrataConfig, own: () => Database<DB>) {
  return async <T>(work: (database: Database<DB>) => Promise<T>): Promise<T> => {
    if (!config.directUrl) return work(own());
    const direct = await openPostgres<DB>(config.directUrl, { ...config.pool, max: 2 });
    try {
      return await work(direct);
    } finally {
      await direct.close();
    }
  };
}

/**
 * Connects as configured: DATABASE_URL when set, else the embedded PostgreSQL under
 * `<STRATA_HOME>/pg`: started here, or shared when it already runs (for `strata db start` or
 * another strata process such as `strata serve`); `close` stops it when no process uses it any more.
 *
 * @example
 * const conn = await connect();
 * try { await conn.database.ping(); } finally { await conn.close(); }
 */
export async function connect<DB>(config: StrataConfig = loadConfig(), notice?: (line: string) => void): Promise<Connection<DB>> {
  if (config.databaseUrl) {
    const database = await openPostgres<DB>(config.databaseUrl, config.pool);
    return {
      database,
      source: 'external',
      safeUrl: redactUrl(config.databaseUrl),
      withSession: sessionRunner(config, () => database),
      close: () => database.close(),
    };
  }
  const server = new EmbeddedServer({
    home: config.home,
    ...(config.embeddedPort !== undefined ? { port: config.embeddedPort } : {}),
    ...(notice ? { notice } : {}),
  });
  const started = await server.start('process');
  const release = async () => {
    const left = await server.release();
    if (left.state === 'running' && left.keptBy === 'users' && left.handedOver) {
      notice?.(`the embedded PostgreSQL stays up for strata process ${left.users.join(', ')}, which will stop it when done`);
    }
  };
  let database: Database<DB>;
  try {
    database = await openPostgres<DB>(started.url, config.pool);
  } catch (err) {
    await release();
    throw err;
  }
  return {
    database,
    source: started.daemon ? 'embedded-daemon' : 'embedded',
    safeUrl: redactUrl(started.url),
    withSession: sessionRunner(config, () => database),
    close: async () => {
      await database.close();
      await release();
    },
  };
}
