import { loadConfig, type StrataConfig } from './config.js';
import type { Database } from './database.js';
import { EmbeddedServer } from './embedded/index.js';
import { openPostgres } from './postgres.js';

/** An open database plus whatever strata started to provide it. */
export interface Connection<DB> {
  readonly database: Database<DB>;
  /** `external` (DATABASE_URL), `embedded` (started and owned here) or `embedded-daemon` (run by `strata db start`). */
  readonly source: 'external' | 'embedded' | 'embedded-daemon';
  /** The URL with its password hidden, for logs and messages. */
  readonly safeUrl: string;
  /** Closes the pool, then stops the embedded server if this process started it. */
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

/**
 * Connects as configured: DATABASE_URL when set, else the embedded PostgreSQL under
 * `<STRATA_HOME>/pg` (started here and stopped by `close`, or shared with `strata db start`).
 *
 * @example
 * const conn = await connect();
 * try { await conn.database.ping(); } finally { await conn.close(); }
 */
export async function connect<DB>(config: StrataConfig = loadConfig(), notice?: (line: string) => void): Promise<Connection<DB>> {
  if (config.databaseUrl) {
    const database = await openPostgres<DB>(config.databaseUrl, config.pool);
    return { database, source: 'external', safeUrl: redactUrl(config.databaseUrl), close: () => database.close() };
  }
  const server = new EmbeddedServer({
    home: config.home,
    ...(config.embeddedPort !== undefined ? { port: config.embeddedPort } : {}),
    ...(notice ? { notice } : {}),
  });
  const started = await server.start('process');
  const stopIfOwned = () => (started.attached ? Promise.resolve() : server.stop());
  let database: Database<DB>;
  try {
    database = await openPostgres<DB>(started.url, config.pool);
  } catch (err) {
    await stopIfOwned();
    throw err;
  }
  return {
    database,
    source: started.attached ? 'embedded-daemon' : 'embedded',
    safeUrl: redactUrl(started.url),
    close: async () => {
      await database.close();
      await stopIfOwned();
    },
  };
}
